/**
 * @module Puts an inbound webhook envelope into the world, so the bot can reply to, react on or fetch what it was told about.
 */
import type { SpectrumEnvelope } from "./webhook.ts";
import { CHAT_GUID, World } from "./world.ts";
import type { SimMessage } from "./world.ts";

const MAX_SYNTHETIC_ATTACHMENT_BYTES = 8 * 1024 * 1024;

/** Deterministic placeholder bytes for an inbound attachment announced only by size. */
function placeholderBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(1, Math.min(size, MAX_SYNTHETIC_ATTACHMENT_BYTES)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
  return bytes;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function targetId(content: Record<string, unknown>): string | undefined {
  const id = record(content.target)?.id;
  return typeof id === "string" ? id : undefined;
}

const TAPBACK_KINDS: Record<string, string> = {
  "❤️": "LOVE",
  "👍": "LIKE",
  "👎": "DISLIKE",
  "😂": "LAUGH",
  "‼️": "EMPHASIZE",
  "❓": "QUESTION",
};

/** The message fields an inbound content object maps to (undefined: nothing to store). */
function fieldsFor(world: World, content: Record<string, unknown>): Partial<SimMessage> | undefined {
  switch (content.type) {
    case "text":
    case "richlink":
      return { text: String(content.text ?? content.url ?? "") };
    case "reply": {
      const inner = record(content.content);
      const target = targetId(content);
      const known = target ? world.messages.get(target) : undefined;
      return {
        text: String(inner?.text ?? ""),
        ...(known ? { replyTargetGuid: known.guid, threadOriginatorGuid: known.threadOriginatorGuid ?? known.guid } : {}),
      };
    }
    case "reaction": {
      const emoji = String(content.emoji ?? "");
      const kind = TAPBACK_KINDS[emoji] ?? "EMOJI";
      return {
        reaction: { kind: `MESSAGE_REACTION_KIND_${kind}`, ...(kind === "EMOJI" ? { emoji } : {}) },
        reactionTargetGuid: targetId(content),
        reactionSelected: true,
      };
    }
    case "attachment":
    case "voice": {
      const guid = typeof content.id === "string" ? content.id : `at_${crypto.randomUUID()}`;
      if (!world.attachments.has(guid)) {
        world.addAttachment({
          guid,
          fileName: String(content.name ?? "attachment"),
          mimeType: typeof content.mimeType === "string" ? content.mimeType : undefined,
          bytes: placeholderBytes(Number(content.size ?? 1024)),
          isOutgoing: false,
        });
      }
      return { attachmentGuids: [guid], isAudioMessage: content.type === "voice" };
    }
    case "group": {
      // Items are message records `{id, content}` (a text with a photo, an album); bare contents are read too.
      const items = Array.isArray(content.items) ? content.items : [];
      const texts: string[] = [];
      const attachmentGuids: string[] = [];
      for (const item of items) {
        const part = record(record(item)?.content) ?? record(item);
        if (!part || part.type === "group") continue;
        const fields = fieldsFor(world, part);
        if (fields?.text) texts.push(fields.text);
        attachmentGuids.push(...(fields?.attachmentGuids ?? []));
      }
      return { ...(texts.length ? { text: texts.join("\n") } : {}), attachmentGuids, partCount: Math.max(1, items.length) };
    }
    default:
      return undefined;
  }
}

/**
 * Records the envelope's chat and message as received by the account. Unknown event types and
 * contents the world does not model are ignored; returns the stored message, if any.
 */
export function ingestEnvelope(world: World, envelope: SpectrumEnvelope): SimMessage | undefined {
  const message = envelope.message;
  if (envelope.event !== "messages" || !message || typeof message.space?.id !== "string" || !CHAT_GUID.test(message.space.id)) return undefined;
  const chatGuid = message.space.id;
  const sender = message.sender?.id;
  const chat = world.addChat(chatGuid, chatGuid.startsWith("any;-;") ? [chatGuid.slice("any;-;".length)] : sender ? [sender] : []);
  if (sender && !chat.participants.includes(sender)) chat.participants.push(sender);
  if (typeof message.id !== "string" || world.messages.has(message.id)) return undefined;
  const content = record(message.content);
  const fields = content ? fieldsFor(world, content) : undefined;
  if (!fields) return undefined;
  const created = message.timestamp ? Date.parse(message.timestamp) : Number.NaN;
  return world.addMessage({
    guid: message.id,
    chatGuid,
    isFromMe: false,
    sender,
    dateCreated: Number.isNaN(created) ? Date.now() : created,
    ...fields,
  });
}
