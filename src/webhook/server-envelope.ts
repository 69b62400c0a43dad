/**
 * @module webhook/server-envelope
 * A message of the iMessage server (the catch-up poll's `listRecent` pages, a relayed or raw-inbound
 * `CatchUpEvent`) as the slim envelope Spectrum's normalized webhook carries for it: one shape for the
 * parser whichever path brought the message.
 */
import type { Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { slimEnvelope } from "../core/slim-envelope.ts";
import { wireEmojiOf, type TapbackKind } from "../core/tapbacks.ts";

const TAPBACKS = new Set<string>(["love", "like", "dislike", "laugh", "emphasize", "question"]);
type SlimContent = SlimEnvelope["message"]["content"];

function contentOf(message: ServerMessage): SlimContent | undefined {
  if (message.reaction && message.reactionTargetGuid) {
    const { kind, emoji } = message.reaction;
    const wire = TAPBACKS.has(kind) ? wireEmojiOf(kind as TapbackKind) : emoji;
    if (!wire) return undefined;
    return { type: "reaction", emoji: wire, target: { id: message.reactionTargetGuid }, removed: message.reactionSelected === false };
  }
  const text = message.content.text ?? "";
  const items: SlimContent[] = [
    ...(text ? [{ type: "text", text }] : []),
    ...message.content.attachments.map((a) => ({ type: "attachment", id: a.guid, name: a.fileName, mimeType: a.mimeType, size: Number(a.totalBytes) })),
  ];
  if (items.length === 0) return undefined;
  const body = items.length === 1 ? (items[0] as SlimContent) : { type: "group", items };
  return message.replyTargetGuid ? { type: "reply", content: body, target: { id: message.replyTargetGuid } } : body;
}

/**
 * A server message as the slim envelope a webhook would have carried; undefined for the bot's own
 * messages and for items with nothing to route (system messages, stickers).
 *
 * @example
 * ```ts
 * const envelope = envelopeOf(serverMessage, "+15550001111");
 * if (envelope) await adapter.acceptDelivery({ envelope, messageId: envelope.message.id, webhookId: "catch-up", scheme: "spectrum" });
 * ```
 */
export function envelopeOf(message: ServerMessage, phone: string): SlimEnvelope | undefined {
  const chatGuid = message.chatGuids[0];
  if (message.isFromMe || !chatGuid || message.isSystemMessage) return undefined;
  const content = contentOf(message);
  if (!content) return undefined;
  return slimEnvelope({
    guid: message.guid,
    chatGuid,
    phone,
    sender: message.sender?.address ?? "unknown",
    date: new Date(message.dateCreated),
    content,
  });
}
