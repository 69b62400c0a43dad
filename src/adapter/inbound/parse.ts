/**
 * @module adapter/inbound/parse
 * Turns a Spectrum message envelope into what the Chat SDK consumes: a message, a reaction, a poll vote,
 * an edit or unsend, or a raw conversation event (members, rename, photo, read, typing).
 */
import { Message, type Attachment, type Author, type EmojiValue, type LinkPreview } from "chat";
import type { SlimEnvelope, SlimMessage } from "@spectrum-ts/core/webhook";
import { iMessageFormatConverter } from "../format.ts";
import { SPACE_EVENT_TYPES, spaceEventOf, type iMessageEvent } from "./space-events.ts";
import { emojiForWire } from "../../core/tapbacks.ts";
import { encodeThreadId, isDmGuid } from "../../core/thread-id.ts";
import { groupParts, replyBody, replyTarget } from "../../webhook/content.ts";
import { spaceOf, type SpaceSighting } from "../../webhook/space-of.ts";

export { spaceOf, type SpaceSighting };

/** What one inbound envelope means for the bot. */
export type InboundEvent =
  | { kind: "message"; threadId: string; chatGuid: string; message: Message<SlimMessage> }
  | {
      kind: "reaction";
      threadId: string;
      messageId: string;
      emoji: EmojiValue;
      rawEmoji: string;
      added: boolean;
      user: Author;
      raw: SlimMessage;
    }
  | {
      kind: "poll-vote";
      threadId: string;
      chatGuid: string;
      messageId: string;
      /** The poll's message GUID, when the vote names it (see {@link voteIds}). */
      pollId: string | undefined;
      pollTitle: string;
      /** The option's identifier, when the vote names it. */
      optionId: string | undefined;
      optionTitle: string;
      selected: boolean;
      user: Author;
      raw: SlimMessage;
    }
  | { kind: "edit"; threadId: string; message: Message<SlimMessage> }
  | { kind: "unsend"; threadId: string; messageId: string; deletedAt: Date; raw: SlimMessage }
  | { kind: "space-event"; event: iMessageEvent }
  | { kind: "ignored"; reason: string };

/** Context the parser needs from the adapter. */
export interface InboundContext {
  /** The bot's user name, for `@name` mentions in groups. */
  userName: string;
  /** Downloads an inbound attachment's bytes from the iMessage server. */
  fetchAttachment: (attachmentId: string, threadId: string) => Promise<ArrayBuffer>;
  /** The attachment's bytes as a stream (large files); `attachment.stream()` when given. */
  streamAttachment?: (attachmentId: string, threadId: string) => ReadableStream<Uint8Array>;
}

type Content = { type: string; [field: string]: unknown };
const converter = new iMessageFormatConverter();

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function authorOf(message: SlimMessage): Author {
  const id = message.sender?.id || "unknown";
  return { userId: id, userName: id, fullName: id, isBot: false, isMe: message.direction === "outbound" };
}

function attachmentKind(mimeType: string | undefined): Attachment["type"] {
  if (mimeType?.startsWith("image/")) return "image";
  if (mimeType?.startsWith("video/")) return "video";
  if (mimeType?.startsWith("audio/")) return "audio";
  return "file";
}

function toAttachment(content: Content, threadId: string, context: InboundContext): Attachment | undefined {
  const id = str(content.id) ?? str((content.attachment as Content | undefined)?.id);
  if (!id) return undefined;
  const mimeType = str(content.mimeType) ?? (content.type === "voice" ? "audio/x-caf" : undefined);
  return {
    type: attachmentKind(mimeType),
    name: str(content.name),
    mimeType,
    size: typeof content.size === "number" ? content.size : undefined,
    fetchMetadata: { attachmentId: id, threadId },
    fetchData: async () => await context.fetchAttachment(id, threadId),
    ...(context.streamAttachment ? { stream: () => (context.streamAttachment as NonNullable<InboundContext["streamAttachment"]>)(id, threadId) } : {}),
  } as Attachment;
}

/** A contact card's name: a string, or spectrum-ts's structured name (`formatted`, else its parts). */
function contactName(name: unknown): string | undefined {
  if (typeof name === "string") return name || undefined;
  if (!name || typeof name !== "object") return undefined;
  const parts = name as Record<string, unknown>;
  const formatted = str(parts.formatted)?.trim();
  if (formatted) return formatted;
  const joined = ["prefix", "first", "middle", "last", "suffix"].map((key) => str(parts[key])?.trim()).filter(Boolean).join(" ");
  return joined || undefined;
}

interface Body {
  text: string;
  attachments: Attachment[];
  links: LinkPreview[];
}

/** Deepest group/reply nesting whose parts are read into a message body. */
const MAX_BODY_DEPTH = 8;

/**
 * The text, attachments and links of a message's content. A group's parts (records or bare contents)
 * are joined; a reply gives its body's; a type this version does not know gives its `text` if it has one,
 * else empty text — the message still reaches the bot with its `raw` content.
 */
function bodyOf(content: Content, threadId: string, context: InboundContext, depth = 0): Body {
  if (depth > MAX_BODY_DEPTH) return { text: "", attachments: [], links: [] };
  switch (content.type) {
    case "text":
      return { text: str(content.text) ?? "", attachments: [], links: [] };
    case "richlink": {
      const url = str(content.url) ?? "";
      return { text: url, attachments: [], links: url ? [{ url }] : [] };
    }
    case "attachment":
    case "voice": {
      const attachment = toAttachment(content, threadId, context);
      return { text: "", attachments: attachment ? [attachment] : [], links: [] };
    }
    case "contact":
      return { text: contactName(content.name) ?? str(content.vcard) ?? "[contact card]", attachments: [], links: [] };
    case "reply":
      return bodyOf(replyBody(content), threadId, context, depth + 1);
    case "group": {
      if (depth > MAX_BODY_DEPTH) return { text: "", attachments: [], links: [] };
      const parts = groupParts(content).map((part) => bodyOf(part.content, threadId, context, depth + 1));
      return {
        text: parts.map((p) => p.text).filter(Boolean).join("\n"),
        attachments: parts.flatMap((p) => p.attachments),
        links: parts.flatMap((p) => p.links),
      };
    }
    default:
      return { text: str(content.text) ?? "", attachments: [], links: [] };
  }
}

/** A poll vote's message id as spectrum-ts builds it: `<pollGuid>:<voter>:<optionId>:<selected|deselected>:<ms>`. */
const VOTE_ID = /^(.+):([^:]+):([^:]+):(?:selected|deselected):(\d+)$/;

/**
 * The poll and option ids a vote names: `content.poll.id` / `content.option.id` when present, else
 * the parts of a spectrum-ts vote message id (`@spectrum-ts/imessage` 12.8 `buildPollOptionMessage`).
 */
function voteIds(messageId: string, content: Content): { pollId: string | undefined; optionId: string | undefined } {
  const fromId = VOTE_ID.exec(messageId);
  return {
    pollId: str((content.poll as Content | undefined)?.id) || fromId?.[1],
    optionId: str((content.option as Content | undefined)?.id) || fromId?.[3],
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A group message mentions the bot when it says `@userName` or carries a mention range for the bot's address. */
function mentionsBot(content: Content, text: string, userName: string, botAddress: string | undefined): boolean {
  if (new RegExp(`(^|[^\\w@])@${escapeRegExp(userName)}\\b`, "i").test(text)) return true;
  const mentions = (content.mentions as { address?: string }[] | undefined) ??
    ((content.content as Content | undefined)?.mentions as { address?: string }[] | undefined);
  return Boolean(botAddress && mentions?.some((m) => m.address === botAddress));
}

/**
 * Interprets one inbound envelope.
 *
 * @example
 * ```ts
 * const event = parseInbound(envelope, { userName: "bot", fetchAttachment });
 * if (event.kind === "message") chat.processMessage(adapter, event.threadId, event.message, { waitUntil });
 * ```
 */
export function parseInbound(envelope: SlimEnvelope, context: InboundContext): InboundEvent {
  const message = envelope.message;
  if (message.direction === "outbound") return { kind: "ignored", reason: "outbound echo of the bot's own message" };
  const content = message.content as Content;
  if (content.type === "delivered") return { kind: "ignored", reason: "delivery receipt of the bot's own message" };
  const space = spaceOf(envelope);
  const threadId = encodeThreadId({ chatGuid: space.chatGuid, phone: space.phone });
  const user = authorOf(message);
  const timestamp = message.timestamp ? new Date(message.timestamp) : new Date();
  const dateSent = Number.isNaN(timestamp.getTime()) ? new Date() : timestamp;

  if (SPACE_EVENT_TYPES.has(content.type)) {
    const base = { threadId, chatGuid: space.chatGuid, id: message.id, user: message.sender?.id ? user : undefined, timestamp: dateSent, raw: message };
    const event = spaceEventOf(base, content);
    return event ? { kind: "space-event", event } : { kind: "ignored", reason: `"${content.type}" event without what it needs (members, name, target)` };
  }
  if (content.type === "unsend" || content.type === "edit") {
    const targetId = str((content.target as Content | undefined)?.id);
    if (!targetId) return { kind: "ignored", reason: `${content.type} without a target message id` };
    if (content.type === "unsend") return { kind: "unsend", threadId, messageId: targetId, deletedAt: dateSent, raw: message };
    const body = bodyOf((content.content as Content | undefined) ?? { type: "text", text: str(content.text) ?? "" }, threadId, context);
    const edited = new Message<SlimMessage>({
      id: targetId,
      threadId,
      text: body.text,
      formatted: converter.toAst(body.text),
      raw: message,
      author: user,
      metadata: { dateSent, edited: true, editedAt: dateSent },
      attachments: body.attachments,
      links: body.links,
    });
    return { kind: "edit", threadId, message: edited };
  }

  if (content.type === "reaction") {
    const target = content.target as { id?: string } | undefined;
    const rawEmoji = str(content.emoji) ?? "";
    if (!target?.id || !rawEmoji) return { kind: "ignored", reason: "reaction without a target message id or emoji" };
    const removed = content.removed === true || content.added === false || content.action === "remove";
    return { kind: "reaction", threadId, messageId: target.id, emoji: emojiForWire(rawEmoji), rawEmoji, added: !removed, user, raw: message };
  }
  if (content.type === "poll_option" || content.type === "pollVote") {
    const poll = content.poll as { title?: string } | undefined;
    const option = content.option as { title?: string } | undefined;
    return {
      kind: "poll-vote",
      threadId,
      chatGuid: space.chatGuid,
      messageId: message.id,
      ...voteIds(message.id, content),
      pollTitle: str(poll?.title) ?? "",
      optionTitle: str(option?.title) ?? str(content.title) ?? "",
      selected: content.selected !== false,
      user,
      raw: message,
    };
  }

  const body = bodyOf(content, threadId, context);
  const isDm = isDmGuid(space.chatGuid);
  const target = content.type === "reply" ? replyTarget(content) : undefined;
  const chatMessage = new Message<SlimMessage>({
    id: message.id,
    threadId,
    text: body.text,
    formatted: converter.toAst(body.text),
    raw: message,
    author: user,
    metadata: { dateSent, edited: false },
    attachments: body.attachments,
    links: body.links,
    isMention: isDm || mentionsBot(content, body.text, context.userName, space.phone),
    replyTo: target?.id
      ? new Message<SlimMessage>({
          id: target.id,
          threadId,
          text: target.contentPreview ?? "",
          formatted: converter.toAst(target.contentPreview ?? ""),
          raw: { id: target.id, space: message.space, content: { type: "text", text: target.contentPreview ?? "" } },
          author: { userId: "unknown", userName: "unknown", fullName: "unknown", isBot: "unknown", isMe: false },
          metadata: { dateSent, edited: false },
          attachments: [],
        })
      : undefined,
  });
  return { kind: "message", threadId, chatGuid: space.chatGuid, message: chatMessage };
}
