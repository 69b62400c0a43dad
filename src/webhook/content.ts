/**
 * @module webhook/content
 * The one reading of a message's `content`, whichever path brought it (webhook, relay, catch-up, gateway):
 * group items as message records (`{id, content}`, what Spectrum's normalized webhook sends and
 * spectrum-ts's `buildItemRecord` reads) or as bare contents (catch-up), replies wrapping any content
 * (a group included), and unknown content kept whole instead of dropped.
 */

/** A content object as it arrives: a `type` and whatever fields that type carries. */
export type WireContent = { type: string; [field: string]: unknown };

/** One part of a group: the part's message id (empty when the wire gave none) and its content. */
export interface GroupPart {
  id: string;
  content: WireContent;
  sender: { id: string; [field: string]: unknown } | undefined;
  timestamp: string | undefined;
}

/** Content types that are messages a person wrote (the rest are reactions, receipts and events). */
export const MESSAGE_CONTENT_TYPES: ReadonlySet<string> = new Set(["text", "richlink", "contact", "attachment", "voice", "reply", "group"]);

/** Content types that only report on other messages: never a message, never a handler. */
export const RECEIPT_CONTENT_TYPES: ReadonlySet<string> = new Set(["read", "delivered"]);

/** Deepest group/reply nesting read; deeper parts are kept as unknown content. */
const MAX_NESTING = 8;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A content value as a {@link WireContent}: objects with a string `type` as they are, anything else as
 * `{type: "unknown", raw}` so it is never lost.
 */
export function asContent(value: unknown): WireContent {
  if (isObject(value) && typeof value.type === "string") return value as WireContent;
  return { type: "unknown", raw: value };
}

/**
 * The parts of a group: a record item (`{id, content: {type…}}`, no `type` of its own) gives its content;
 * a bare item (`{type…}`) is its own content.
 *
 * @example
 * ```ts
 * groupParts({ type: "group", items: [{ id: "p1", content: { type: "text", text: "look" } }, { type: "attachment", id: "a1" }] });
 * // → [{ id: "p1", content: { type: "text", … } }, { id: "", content: { type: "attachment", … } }]
 * ```
 */
export function groupParts(group: WireContent): GroupPart[] {
  const items = Array.isArray(group.items) ? group.items : [];
  return items.map((item) => {
    const record = isObject(item) ? item : {};
    const isRecord = typeof record.type !== "string" && isObject(record.content);
    const sender = isObject(record.sender) && typeof record.sender.id === "string" ? (record.sender as GroupPart["sender"]) : undefined;
    return {
      id: isRecord && typeof record.id === "string" ? record.id : "",
      content: isRecord ? asContent(record.content) : asContent(item),
      sender: isRecord ? sender : undefined,
      timestamp: isRecord && typeof record.timestamp === "string" ? record.timestamp : undefined,
    };
  });
}

/** The content a reply wraps (any content, a group included). */
export function replyBody(reply: WireContent): WireContent {
  return isObject(reply.content) ? asContent(reply.content) : { type: "text", text: typeof reply.text === "string" ? reply.text : "" };
}

/** The message a reply answers: its id and preview, when the wire names one. */
export function replyTarget(reply: WireContent): { id: string; contentPreview: string | undefined } | undefined {
  const target = isObject(reply.target) ? reply.target : undefined;
  if (!target || typeof target.id !== "string" || target.id === "") return undefined;
  return { id: target.id, contentPreview: typeof target.contentPreview === "string" ? target.contentPreview : undefined };
}

/** Visits a content and the contents nested in it (group parts, reply bodies), depth first, bounded. */
export function* walkContent(content: WireContent, depth = 0): Generator<WireContent> {
  yield content;
  if (depth >= MAX_NESTING) return;
  if (content.type === "group") for (const part of groupParts(content)) yield* walkContent(part.content, depth + 1);
  if (content.type === "reply") yield* walkContent(replyBody(content), depth + 1);
}

/** Whether a content only reports that the bot's message was read or delivered (a receipt). */
export function isReceipt(content: WireContent): boolean {
  return RECEIPT_CONTENT_TYPES.has(content.type);
}
