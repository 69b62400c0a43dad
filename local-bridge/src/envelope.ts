/**
 * @module local-bridge/envelope
 * Turns a Messages database row into the slim Spectrum envelope the Worker's webhook receives, so
 * local mode and the relay share the Worker adapter's inbound parsing.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { slimEnvelope } from "chat-adapter-imessage/extend";
import type { LocalAttachment, LocalMessage } from "./chat-db.ts";

export interface EnvelopeOptions {
  /**
   * Rewrite the chat GUID's service prefix to `any` (`iMessage;-;+1555…` → `any;-;+1555…`), the form
   * Spectrum uses; the relay does this, the in-process adapter keeps `chat.guid` as it is.
   */
  spectrumGuids?: boolean;
  /** Routing phone of this Mac's account (default `"shared"`). */
  phone?: string;
}

type Content = { type: string; [field: string]: unknown };

/** `iMessage;-;+1555…` → `any;-;+1555…`; GUIDs already in that form are returned as they are. */
export function toSpectrumGuid(chatGuid: string): string {
  const semicolon = chatGuid.indexOf(";");
  return semicolon > 0 ? `any${chatGuid.slice(semicolon)}` : chatGuid;
}

function attachmentContent(attachment: LocalAttachment): Content {
  return {
    type: "attachment",
    id: attachment.guid,
    name: attachment.name,
    mimeType: attachment.mimeType ?? "application/octet-stream",
    size: attachment.size,
  };
}

function reactionContent(message: LocalMessage, tapback: NonNullable<LocalMessage["tapback"]>): Content {
  return {
    type: "reaction",
    emoji: tapback.rawEmoji,
    tapback: tapback.kind,
    target: { id: tapback.targetGuid, ...(tapback.targetPart === undefined ? {} : { part: tapback.targetPart }) },
    ...(tapback.added ? {} : { removed: true }),
    ...(tapback.kind === "sticker" && message.attachments.length > 0
      ? { sticker: attachmentContent(message.attachments[0] as LocalAttachment) }
      : {}),
  };
}

/** The body of a row: its text and files (one item, or a group), or undefined when it has none. */
function contentOf(message: LocalMessage): Content | undefined {
  if (message.tapback) return reactionContent(message, message.tapback);
  if (message.associatedMessageType) return undefined;
  const items: Content[] = [
    ...(message.text ? [{ type: "text", text: message.text }] : []),
    ...message.attachments.map(attachmentContent),
  ];
  if (items.length === 0) return undefined;
  return items.length === 1 ? items[0] : { type: "group", items };
}

/**
 * What the bridge adds to the slim message under `local` (the Chat SDK hands it on as `raw.local`):
 * the row, and where its date came from (`"seen"`: the row had no date; `date` is when it was read).
 */
export interface LocalEnvelopeFields {
  rowid: number;
  dateSource: "database" | "seen";
  /** Set on edits and unsends: when the row was changed. */
  editedAt?: string;
}

/**
 * The envelope for one inbound row, or undefined for rows with nothing to route (empty bodies, and
 * associated messages that are not tapbacks). Rows the owner wrote in the chat with themself are
 * inbound (their sender is that chat's address); other own rows are outbound.
 *
 * @example
 * ```ts
 * const envelope = toEnvelope(message, { spectrumGuids: true });
 * if (envelope) socket.send(JSON.stringify({ type: "event", id: eventIdOf(message), envelope }));
 * ```
 */
export function toEnvelope(message: LocalMessage, options: EnvelopeOptions = {}): SlimEnvelope | undefined {
  const content = contentOf(message);
  if (!content) return undefined;
  const envelope = slimEnvelope({
    guid: message.guid,
    chatGuid: options.spectrumGuids ? toSpectrumGuid(message.chatGuid) : message.chatGuid,
    isGroup: message.isGroup,
    phone: options.phone ?? "shared",
    displayName: message.chatName ?? undefined,
    sender: message.sender,
    date: message.date,
    isFromMe: message.isFromMe && !message.isSelfChat,
    content,
  });
  const edited = message.dateEdited ?? message.dateRetracted;
  const local: LocalEnvelopeFields = {
    rowid: message.rowid,
    dateSource: message.dateSource,
    ...(edited ? { editedAt: edited.toISOString() } : {}),
  };
  return { ...envelope, message: { ...envelope.message, local } as SlimEnvelope["message"] };
}

/** The relay event id of a row: stable across restarts (from the message GUID), so the Worker dedupes. */
export function eventIdOf(message: LocalMessage): string {
  return `imessage-local:${message.guid}`;
}
