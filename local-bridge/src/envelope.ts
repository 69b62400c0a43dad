/**
 * @module local-bridge/envelope
 * Turns a Messages database row into the slim Spectrum envelope the Worker's webhook receives, so
 * local mode and the relay share the Worker adapter's inbound parsing.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { slimEnvelope } from "../../src/adapter/slim-envelope.ts";
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

function contentOf(message: LocalMessage): Content | undefined {
  if (message.tapback) {
    return {
      type: "reaction",
      emoji: message.tapback.rawEmoji,
      target: { id: message.tapback.targetGuid },
      ...(message.tapback.added ? {} : { removed: true }),
    };
  }
  if (message.associatedMessageType) return undefined;
  const items: Content[] = [
    ...(message.text ? [{ type: "text", text: message.text }] : []),
    ...message.attachments.map(attachmentContent),
  ];
  if (items.length === 0) return undefined;
  return items.length === 1 ? items[0] : { type: "group", items };
}

/**
 * The envelope for one inbound row, or undefined for rows with nothing to route (empty bodies,
 * stickers and other associated messages this bridge does not map).
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
  return slimEnvelope({
    guid: message.guid,
    chatGuid: options.spectrumGuids ? toSpectrumGuid(message.chatGuid) : message.chatGuid,
    isGroup: message.isGroup,
    phone: options.phone ?? "shared",
    displayName: message.chatName ?? undefined,
    sender: message.sender,
    date: message.date,
    isFromMe: message.isFromMe,
    content,
  });
}

/** The relay event id of a row: stable across restarts (from the message GUID), so the Worker dedupes. */
export function eventIdOf(message: LocalMessage): string {
  return `imessage-local:${message.guid}`;
}
