/**
 * @module adapter/inbound
 * Turns a Spectrum message envelope into what the Chat SDK consumes: a message, a reaction, or a poll vote.
 */
import { Message, type Attachment, type Author, type EmojiValue, type LinkPreview } from "chat";
import type { SlimEnvelope, SlimMessage } from "@spectrum-ts/core/webhook";
import { iMessageFormatConverter } from "./format.ts";
import { emojiForWire } from "./tapbacks.ts";
import { encodeThreadId, isDmGuid } from "./thread-id.ts";

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
      pollTitle: string;
      optionTitle: string;
      selected: boolean;
      user: Author;
      raw: SlimMessage;
    }
  | { kind: "ignored"; reason: string };

/** The space an envelope belongs to, as recorded for cold replies to groups. */
export interface SpaceSighting {
  chatGuid: string;
  type: "dm" | "group";
  phone: string | undefined;
  displayName: string | undefined;
}

/** Context the parser needs from the adapter. */
export interface InboundContext {
  /** The bot's user name, for `@name` mentions in groups. */
  userName: string;
  /** Downloads an inbound attachment's bytes from the iMessage server. */
  fetchAttachment: (attachmentId: string, threadId: string) => Promise<ArrayBuffer>;
}

type Content = { type: string; [field: string]: unknown };
const converter = new iMessageFormatConverter();
const IGNORED_CONTENT = new Set(["read", "addMember", "removeMember", "leaveSpace", "rename", "avatar", "typing"]);

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The space of an envelope: chat GUID, kind, routing phone. */
export function spaceOf(envelope: SlimEnvelope): SpaceSighting {
  const space = envelope.message.space as SlimMessage["space"] & { type?: string; phone?: string; displayName?: string; name?: string };
  return {
    chatGuid: space.id,
    type: space.type === "group" || space.id.includes(";+;") ? "group" : "dm",
    phone: str(space.phone),
    displayName: str(space.displayName) ?? str(space.name),
  };
}

function authorOf(message: SlimMessage): Author {
  const id = message.sender?.id ?? "unknown";
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
  } as Attachment;
}

interface Body {
  text: string;
  attachments: Attachment[];
  links: LinkPreview[];
}

function bodyOf(content: Content, threadId: string, context: InboundContext): Body {
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
      return { text: str(content.name) ?? str(content.vcard) ?? "[contact card]", attachments: [], links: [] };
    case "reply":
      return bodyOf((content.content as Content | undefined) ?? { type: "text", text: "" }, threadId, context);
    case "group": {
      const parts = ((content.items as Content[] | undefined) ?? []).map((item) => bodyOf(item, threadId, context));
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
  if (IGNORED_CONTENT.has(content.type)) return { kind: "ignored", reason: `"${content.type}" events are not routed to handlers` };
  const space = spaceOf(envelope);
  const threadId = encodeThreadId({ chatGuid: space.chatGuid, phone: space.phone });
  const user = authorOf(message);

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
      pollTitle: str(poll?.title) ?? "",
      optionTitle: str(option?.title) ?? "",
      selected: content.selected !== false,
      user,
      raw: message,
    };
  }

  const body = bodyOf(content, threadId, context);
  const isDm = isDmGuid(space.chatGuid);
  const target = content.type === "reply" ? (content.target as { id?: string; contentPreview?: string } | undefined) : undefined;
  const dateSent = message.timestamp ? new Date(message.timestamp) : new Date();
  const chatMessage = new Message<SlimMessage>({
    id: message.id,
    threadId,
    text: body.text,
    formatted: converter.toAst(body.text),
    raw: message,
    author: user,
    metadata: { dateSent: Number.isNaN(dateSent.getTime()) ? new Date() : dateSent, edited: false },
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
