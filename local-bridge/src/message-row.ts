/**
 * @module local-bridge/message-row
 * One `message` row as the bridge reads it (the columns, joined chat and sender) and what it means:
 * text, tapback, edit or unsend, date, and whether it belongs to the owner's chat with themself.
 */
import { appleTimeToDate } from "./apple-time.ts";
import { readSummaryInfo, type SummaryInfo } from "./summary-info.ts";
import { type Tapback, tapbackFromType, tapbackTarget } from "./tapback.ts";
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
  /** `chat.guid`: `iMessage;-;+15551234567`, `iMessage;+;chat123…`, `any;-;…`, `SMS;-;…`. */
  chatGuid: string;
  isGroup: boolean;
  chatName: string | undefined;
  /**
   * `handle.id` of the sender (phone or email). Empty for own messages, except in the owner's chat with
   * themself, where it is that chat's address.
   */
  sender: string;
  /** `message.date`; when the row has none (0 or NULL), the time the bridge read it (see `dateSource`). */
  date: Date;
  /** `"database"` when `date` is the row's own; `"seen"` when the row had no date and `date` is when it was read. */
  dateSource: "database" | "seen";
  isFromMe: boolean;
  /** True in a one-to-one chat whose address is one of the owner's own (messaging yourself). */
  isSelfChat: boolean;
  /** `message.text`, else the text decoded from `attributedBody`, else "" — exactly as stored. */
  text: string;
  attachments: LocalAttachment[];
  /** Set when the row is a tapback on another message. */
  tapback: (Tapback & { targetGuid: string; targetPart: number | undefined }) | undefined;
  /** Raw `associated_message_type` (0 for ordinary messages). */
  associatedMessageType: number;
  /** `date_edited` (edits, and Undo Send on macOS 26); undefined when unset. */
  dateEdited: Date | undefined;
  /** `date_retracted` (Undo Send on older macOS); undefined when unset. */
  dateRetracted: Date | undefined;
  /**
   * The larger of `date_edited` and `date_retracted` as stored (Apple-epoch integer, decimal string so
   * nanoseconds stay exact); "0" for rows never edited or unsent.
   */
  editStamp: string;
  /** Edits and unsends listed in `message_summary_info`. */
  summary: SummaryInfo | undefined;
}

/** The columns the bridge selects for a message row. */
export interface MessageRow {
  rowid: number;
  guid: string;
  text: string | null;
  attributedBody: Uint8Array | null;
  date: number | null;
  is_from_me: number;
  associated_message_guid: string | null;
  associated_message_type: number | null;
  associated_message_emoji: string | null;
  date_edited: number | null;
  date_retracted: number | null;
  edit_stamp: string;
  message_summary_info: Uint8Array | null;
  destination_caller_id: string | null;
  account: string | null;
  sender: string | null;
  chat_guid: string | null;
  chat_style: number | null;
  chat_name: string | null;
  chat_identifier: string | null;
  chat_account_login: string | null;
}

/** SELECT list and joins producing {@link MessageRow}; append a WHERE clause. */
export const MESSAGE_COLUMNS = `
  SELECT m.ROWID AS rowid, m.guid, m.text, m.attributedBody, m.date, m.is_from_me,
         m.associated_message_guid, m.associated_message_type, m.associated_message_emoji,
         m.date_edited, m.date_retracted,
         CAST(MAX(IFNULL(m.date_edited, 0), IFNULL(m.date_retracted, 0)) AS TEXT) AS edit_stamp,
         m.message_summary_info, m.destination_caller_id, m.account,
         h.id AS sender, c.guid AS chat_guid, c.style AS chat_style, c.display_name AS chat_name,
         c.chat_identifier, c.account_login AS chat_account_login
  FROM message AS m
  LEFT JOIN handle AS h ON h.ROWID = m.handle_id
  LEFT JOIN chat_message_join AS cmj ON cmj.message_id = m.ROWID
  LEFT JOIN chat AS c ON c.ROWID = cmj.chat_id`;

/** An address in a comparable form: e-mail lower-cased, phone numbers as their digits. */
export function addressKey(address: string): string {
  const trimmed = address.trim().replace(/^(?:[EP]:|mailto:|tel:)/i, "");
  return trimmed.includes("@") ? trimmed.toLowerCase() : trimmed.replace(/[^\d]/g, "");
}

/** True when a chat GUID or style names a group. */
export function isGroupChat(guid: string, style: number | null): boolean {
  if (style === CHAT_STYLE_GROUP) return true;
  if (style === CHAT_STYLE_DM) return false;
  return guid.includes(";+;");
}

function selfChat(row: MessageRow, isGroup: boolean, ownAddresses: ReadonlySet<string>): boolean {
  if (isGroup || !row.chat_identifier) return false;
  const chat = addressKey(row.chat_identifier);
  if (!chat) return false;
  if (ownAddresses.has(chat)) return true;
  return [row.destination_caller_id, row.account, row.chat_account_login].some((own) => own && addressKey(own) === chat);
}

/**
 * Interprets a row. `seenAt` is the date used when the row has none; `ownAddresses` holds
 * {@link addressKey}s of the owner's addresses beyond those the row names itself.
 */
export function toLocalMessage(
  row: MessageRow,
  attachments: LocalAttachment[],
  context: { seenAt: Date; ownAddresses: ReadonlySet<string> },
): LocalMessage {
  const tapback = tapbackFromType(row.associated_message_type, row.associated_message_emoji);
  const target = tapbackTarget(row.associated_message_guid);
  const text = row.text ?? decodeAttributedBody(row.attributedBody) ?? "";
  const isGroup = row.chat_guid ? isGroupChat(row.chat_guid, row.chat_style) : false;
  const isSelfChat = selfChat(row, isGroup, context.ownAddresses);
  const isFromMe = row.is_from_me === 1;
  const date = appleTimeToDate(row.date);
  return {
    rowid: row.rowid,
    guid: row.guid,
    chatGuid: row.chat_guid ?? "",
    isGroup,
    chatName: row.chat_name || undefined,
    sender: isSelfChat && isFromMe ? (row.chat_identifier ?? "") : (row.sender ?? ""),
    date: date ?? context.seenAt,
    dateSource: date ? "database" : "seen",
    isFromMe,
    isSelfChat,
    // U+FFFC marks where an attachment sits in the body; it is not text. Nothing else is touched.
    text: text.replace(/\uFFFC/g, ""),
    attachments,
    tapback: tapback && target ? { ...tapback, targetGuid: target.guid, targetPart: target.part } : undefined,
    associatedMessageType: row.associated_message_type ?? 0,
    dateEdited: appleTimeToDate(row.date_edited),
    dateRetracted: appleTimeToDate(row.date_retracted),
    editStamp: row.edit_stamp || "0",
    summary: readSummaryInfo(row.message_summary_info),
  };
}
