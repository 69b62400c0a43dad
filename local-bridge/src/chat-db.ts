/**
 * @module local-bridge/chat-db
 * Read-only access to the Messages database (`~/Library/Messages/chat.db`): new rows after a ROWID,
 * with their chat, sender, text and attachments.
 */
import Database from "better-sqlite3";
import { homedir } from "node:os";
import { join } from "node:path";
import { appleTimeToDate } from "./apple-time.ts";
import { fullDiskAccessError, notMacOSError } from "./errors.ts";
import { type Tapback, tapbackFromType, tapbackTargetGuid } from "./tapback.ts";
import { decodeAttributedBody } from "./typedstream.ts";

/** `chat.style` of a group conversation. */
export const CHAT_STYLE_GROUP = 43;
/** `chat.style` of a one-to-one conversation. */
export const CHAT_STYLE_DM = 45;

/** A file attached to a message, as the `attachment` table describes it. */
export interface LocalAttachment {
  guid: string;
  /** Absolute path on this Mac (`~` expanded); undefined while the transfer has not finished. */
  path: string | undefined;
  mimeType: string | undefined;
  /** The file name the sender gave it. */
  name: string;
  size: number;
}

/** One `message` row with what it joins to. */
export interface LocalMessage {
  rowid: number;
  guid: string;
  /** `chat.guid`: `iMessage;-;+15551234567`, `iMessage;+;chat123…`, `any;-;…`. */
  chatGuid: string;
  isGroup: boolean;
  chatName: string | undefined;
  /** `handle.id` of the sender (phone or email); empty for own messages. */
  sender: string;
  date: Date;
  isFromMe: boolean;
  /** `message.text`, else the text decoded from `attributedBody`, else "". */
  text: string;
  attachments: LocalAttachment[];
  /** Set when the row is a tapback on another message. */
  tapback: (Tapback & { targetGuid: string }) | undefined;
  /** Raw `associated_message_type` (0 for ordinary messages). */
  associatedMessageType: number;
}

/** A conversation found in the `chat` table. */
export interface LocalChat {
  guid: string;
  isGroup: boolean;
  /** `chat.chat_identifier`: the address of a DM, the `chat…` id of a group. */
  identifier: string;
}

export interface ChatDbOptions {
  /** Database file; defaults to `~/Library/Messages/chat.db` (macOS only). */
  path?: string;
  /** Home folder used to expand `~` in attachment paths; defaults to the user's. */
  homeDir?: string;
}

interface MessageRow {
  rowid: number;
  guid: string;
  text: string | null;
  attributedBody: Uint8Array | null;
  date: number | null;
  is_from_me: number;
  associated_message_guid: string | null;
  associated_message_type: number | null;
  sender: string | null;
  chat_guid: string | null;
  chat_style: number | null;
  chat_name: string | null;
}

interface AttachmentRow {
  message_id: number;
  guid: string;
  filename: string | null;
  mime_type: string | null;
  transfer_name: string | null;
  total_bytes: number | null;
}

const MESSAGES_AFTER = `
  SELECT m.ROWID AS rowid, m.guid, m.text, m.attributedBody, m.date, m.is_from_me,
         m.associated_message_guid, m.associated_message_type,
         h.id AS sender, c.guid AS chat_guid, c.style AS chat_style, c.display_name AS chat_name
  FROM message AS m
  LEFT JOIN handle AS h ON h.ROWID = m.handle_id
  LEFT JOIN chat_message_join AS cmj ON cmj.message_id = m.ROWID
  LEFT JOIN chat AS c ON c.ROWID = cmj.chat_id
  WHERE m.ROWID > ?
  ORDER BY m.ROWID
  LIMIT ?`;

const ATTACHMENTS_BETWEEN = `
  SELECT maj.message_id, a.guid, a.filename, a.mime_type, a.transfer_name, a.total_bytes
  FROM message_attachment_join AS maj
  JOIN attachment AS a ON a.ROWID = maj.attachment_id
  WHERE maj.message_id BETWEEN ? AND ?
  ORDER BY maj.message_id, a.ROWID`;

/** The Messages database of the current user. */
export function defaultChatDbPath(home: string = homedir()): string {
  return join(home, "Library", "Messages", "chat.db");
}

/**
 * The Messages database, opened read-only.
 *
 * @example
 * ```ts
 * const db = openChatDb(); // ~/Library/Messages/chat.db, Full Disk Access needed
 * const rows = db.readAfter(watermark, 500);
 * ```
 */
export function openChatDb(options: ChatDbOptions = {}): ChatDb {
  if (!options.path && process.platform !== "darwin") throw notMacOSError("read the Messages database");
  return new ChatDb(options.path ?? defaultChatDbPath(), options.homeDir ?? homedir());
}

export class ChatDb {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly homeDir: string;
  private readonly messagesAfter: Database.Statement<[number, number], MessageRow>;
  private readonly attachmentsBetween: Database.Statement<[number, number], AttachmentRow>;

  constructor(path: string, homeDir: string) {
    this.path = path;
    this.homeDir = homeDir;
    try {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
      this.db.prepare("SELECT MAX(ROWID) FROM message").get();
      this.messagesAfter = this.db.prepare(MESSAGES_AFTER);
      this.attachmentsBetween = this.db.prepare(ATTACHMENTS_BETWEEN);
    } catch (error) {
      throw fullDiskAccessError(path, error);
    }
  }

  /** The highest `message.ROWID` (0 for an empty database). */
  maxRowid(): number {
    const row = this.db.prepare("SELECT MAX(ROWID) AS max FROM message").get() as { max: number | null };
    return row.max ?? 0;
  }

  /**
   * Up to `limit` messages with `ROWID > after`, in ROWID order (gaps are normal: deleted rows leave them).
   * Own messages and rows without a chat are included so a watermark can move past them.
   */
  readAfter(after: number, limit: number): LocalMessage[] {
    const rows = this.messagesAfter.all(after, limit);
    if (rows.length === 0) return [];
    const first = rows[0] as MessageRow;
    const last = rows[rows.length - 1] as MessageRow;
    const attachments = this.attachmentsByMessage(first.rowid, last.rowid);
    const messages: LocalMessage[] = [];
    let previous = after;
    for (const row of rows) {
      if (row.rowid === previous) continue; // a message joined to two chats: keep the first
      previous = row.rowid;
      messages.push(this.toMessage(row, attachments.get(row.rowid) ?? []));
    }
    return messages;
  }

  /**
   * The conversation a chat GUID names, matched exactly or ignoring the service prefix
   * (`any;-;+1555…` finds `iMessage;-;+1555…`).
   */
  findChat(chatGuid: string): LocalChat | undefined {
    const exact = this.db
      .prepare("SELECT guid, style, chat_identifier FROM chat WHERE guid = ?")
      .get(chatGuid) as { guid: string; style: number | null; chat_identifier: string | null } | undefined;
    const semicolon = chatGuid.indexOf(";");
    const row =
      exact ??
      (semicolon > 0
        ? (this.db
            .prepare(
              "SELECT guid, style, chat_identifier FROM chat WHERE substr(guid, instr(guid, ';')) = ? ORDER BY service_name = 'iMessage' DESC, ROWID DESC LIMIT 1",
            )
            .get(chatGuid.slice(semicolon)) as typeof exact)
        : undefined);
    if (!row) return undefined;
    return {
      guid: row.guid,
      isGroup: isGroupChat(row.guid, row.style),
      identifier: row.chat_identifier ?? row.guid.slice(row.guid.lastIndexOf(";") + 1),
    };
  }

  /** The file of an attachment by its GUID (`~` expanded), if it has one on this Mac. */
  attachmentPath(guid: string): string | undefined {
    const row = this.db.prepare("SELECT filename FROM attachment WHERE guid = ?").get(guid) as
      | { filename: string | null }
      | undefined;
    return row?.filename ? this.expandHome(row.filename) : undefined;
  }

  close(): void {
    this.db.close();
  }

  private attachmentsByMessage(from: number, to: number): Map<number, LocalAttachment[]> {
    const byMessage = new Map<number, LocalAttachment[]>();
    for (const row of this.attachmentsBetween.all(from, to)) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push({
        guid: row.guid,
        path: row.filename ? this.expandHome(row.filename) : undefined,
        mimeType: row.mime_type ?? undefined,
        name: row.transfer_name ?? row.filename?.split("/").pop() ?? row.guid,
        size: row.total_bytes ?? 0,
      });
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }

  private toMessage(row: MessageRow, attachments: LocalAttachment[]): LocalMessage {
    const tapback = tapbackFromType(row.associated_message_type);
    const targetGuid = tapbackTargetGuid(row.associated_message_guid);
    const text = row.text ?? decodeAttributedBody(row.attributedBody) ?? "";
    return {
      rowid: row.rowid,
      guid: row.guid,
      chatGuid: row.chat_guid ?? "",
      isGroup: row.chat_guid ? isGroupChat(row.chat_guid, row.chat_style) : false,
      chatName: row.chat_name || undefined,
      sender: row.sender ?? "",
      date: appleTimeToDate(row.date),
      isFromMe: row.is_from_me === 1,
      text: text.replace(/\uFFFC/g, "").trim(),
      attachments,
      tapback: tapback && targetGuid ? { ...tapback, targetGuid } : undefined,
      associatedMessageType: row.associated_message_type ?? 0,
    };
  }

  private expandHome(path: string): string {
    return path === "~" || path.startsWith("~/") ? this.homeDir + path.slice(1) : path;
  }
}

function isGroupChat(guid: string, style: number | null): boolean {
  if (style === CHAT_STYLE_GROUP) return true;
  if (style === CHAT_STYLE_DM) return false;
  return guid.includes(";+;");
}
