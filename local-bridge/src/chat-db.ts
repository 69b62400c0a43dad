/**
 * @module local-bridge/chat-db
 * Read-only access to the Messages database (`~/Library/Messages/chat.db`): new rows after a ROWID and
 * rows rewritten (edited, unsent) since an edit stamp, with their chat, sender, text and attachments;
 * reopened when its files are replaced.
 */
import Database from "better-sqlite3";
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fullDiskAccessError, notMacOSError } from "./errors.ts";
import {
  addressKey,
  isGroupChat,
  type LocalAttachment,
  type LocalMessage,
  MESSAGE_COLUMNS,
  type MessageRow,
  toLocalMessage,
} from "./message-row.ts";

export { CHAT_STYLE_DM, CHAT_STYLE_GROUP, type LocalAttachment, type LocalMessage } from "./message-row.ts";

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
  /**
   * The owner's own addresses (phone numbers, e-mails), for recognising the chat with yourself beyond
   * what each row names (`destination_caller_id`, `account`, `chat.account_login`).
   */
  ownAddresses?: readonly string[];
}

interface AttachmentRow {
  message_id: number;
  guid: string;
  filename: string | null;
  mime_type: string | null;
  transfer_name: string | null;
  total_bytes: number | null;
}

const MESSAGES_AFTER = `${MESSAGE_COLUMNS}
  WHERE m.ROWID > ?
  ORDER BY m.ROWID
  LIMIT ?`;

/**
 * Rows already read (ROWID in a window) whose edit stamp moved past a stamp: edits and unsends.
 * The window keeps this a primary-key range scan however large the database is.
 */
const EDITED_SINCE = `${MESSAGE_COLUMNS}
  WHERE m.ROWID > ? AND m.ROWID <= ?
    AND MAX(IFNULL(m.date_edited, 0), IFNULL(m.date_retracted, 0)) > ?
  ORDER BY MAX(IFNULL(m.date_edited, 0), IFNULL(m.date_retracted, 0)), m.ROWID
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
  return new ChatDb(options.path ?? defaultChatDbPath(), options.homeDir ?? homedir(), options.ownAddresses);
}

/** `dev:ino` of a file, or "-" when it does not exist. */
function identityOf(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return "-";
  }
}

interface Statements {
  messagesAfter: Database.Statement<[number, number], MessageRow>;
  editedSince: Database.Statement<[number, number, bigint, number], MessageRow>;
  attachmentsBetween: Database.Statement<[number, number], AttachmentRow>;
}

export class ChatDb {
  readonly path: string;
  private db: Database.Database;
  private statements: Statements;
  private identity: string;
  private readonly homeDir: string;
  private readonly ownAddresses: ReadonlySet<string>;

  constructor(path: string, homeDir: string, ownAddresses: readonly string[] = []) {
    this.path = path;
    this.homeDir = homeDir;
    this.ownAddresses = new Set(ownAddresses.map(addressKey).filter(Boolean));
    ({ db: this.db, statements: this.statements } = this.open());
    this.identity = this.filesIdentity();
  }

  private open(): { db: Database.Database; statements: Statements } {
    try {
      const db = new Database(this.path, { readonly: true, fileMustExist: true });
      db.prepare("SELECT MAX(ROWID) FROM message").get();
      return {
        db,
        statements: {
          messagesAfter: db.prepare(MESSAGES_AFTER),
          editedSince: db.prepare(EDITED_SINCE),
          attachmentsBetween: db.prepare(ATTACHMENTS_BETWEEN),
        },
      };
    } catch (error) {
      throw fullDiskAccessError(this.path, error);
    }
  }

  /** Identity of the database file and its `-wal` and `-shm` companions. */
  private filesIdentity(): string {
    return [this.path, `${this.path}-wal`, `${this.path}-shm`].map(identityOf).join("|");
  }

  /**
   * Reopens the connection when the database file, or its `-wal` / `-shm` file, is no longer the file
   * the connection opened: replaced by a rename, or deleted and created again. A connection left on the
   * old files would read a database nobody writes to any more (a watcher gone deaf). Truncating the WAL
   * in place keeps the files and needs no reopen: SQLite notices it itself. Returns true when it reopened.
   * Throws the Full Disk Access error when the new file cannot be opened.
   */
  reopenIfReplaced(): boolean {
    const identity = this.filesIdentity();
    if ((identity === this.identity && this.db.open) || identity.startsWith("-|")) return false;
    // Close first: SQLite shares one shared-memory mapping among the connections of a process to the
    // same file, so a new connection opened beside the old one would inherit the stale mapping.
    this.db.close();
    ({ db: this.db, statements: this.statements } = this.open());
    this.identity = this.filesIdentity();
    return true;
  }

  /** The highest `message.ROWID` (0 for an empty database). */
  maxRowid(): number {
    const row = this.db.prepare("SELECT MAX(ROWID) AS max FROM message").get() as { max: number | null };
    return row.max ?? 0;
  }

  /** The highest edit stamp (`date_edited` / `date_retracted`) in the database, as a decimal string. */
  maxEditStamp(): string {
    const row = this.db
      .prepare("SELECT CAST(IFNULL(MAX(MAX(IFNULL(date_edited, 0), IFNULL(date_retracted, 0))), 0) AS TEXT) AS max FROM message")
      .get() as { max: string };
    return row.max;
  }

  /**
   * Up to `limit` messages with `ROWID > after`, in ROWID order (gaps are normal: deleted rows leave them).
   * Own messages and rows without a chat are included so a watermark can move past them.
   * `seenAt` stands in for the date of rows that have none.
   */
  readAfter(after: number, limit: number, seenAt: Date = new Date()): LocalMessage[] {
    return this.toMessages(this.statements.messagesAfter.all(after, limit), seenAt);
  }

  /**
   * Rows with `from < ROWID <= to` whose edit stamp is above `stamp` (a decimal string of the Apple-epoch
   * integer), in stamp order, at most `limit`: messages edited or unsent after they were read.
   */
  readEditedSince(stamp: string, from: number, to: number, limit: number, seenAt: Date = new Date()): LocalMessage[] {
    if (to <= from) return [];
    const rows = this.statements.editedSince.all(from, to, BigInt(stamp), limit);
    return this.toMessages(rows, seenAt);
  }

  /** The services the address has handles on (`handle.service`), iMessage first. */
  servicesOf(address: string): string[] {
    const rows = this.db.prepare("SELECT DISTINCT service FROM handle WHERE id = ? ORDER BY service = 'iMessage' DESC").all(address) as {
      service: string;
    }[];
    return rows.map((row) => row.service);
  }

  private toMessages(rows: MessageRow[], seenAt: Date): LocalMessage[] {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.rowid);
    const attachments = this.attachmentsByMessage(Math.min(...ids), Math.max(...ids));
    const messages: LocalMessage[] = [];
    const seen = new Set<number>();
    for (const row of rows) {
      if (seen.has(row.rowid)) continue; // a message joined to two chats: keep the first
      seen.add(row.rowid);
      messages.push(
        toLocalMessage(row, attachments.get(row.rowid) ?? [], { seenAt, ownAddresses: this.ownAddresses }),
      );
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
    for (const row of this.statements.attachmentsBetween.all(from, to)) {
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

  private expandHome(path: string): string {
    return path === "~" || path.startsWith("~/") ? this.homeDir + path.slice(1) : path;
  }
}
