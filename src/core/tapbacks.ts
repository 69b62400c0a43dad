/**
 * @module core/tapbacks
 * The six classic iMessage tapbacks and their Chat SDK emoji names, and emoji tapbacks (iOS 18: any
 * emoji, sent as `{kind: "emoji", emoji}`), in both directions.
 */
import { defaultEmojiResolver, getEmoji, type EmojiValue } from "chat";
import { ValidationError } from "./errors.ts";

/** A tapback kind as the iMessage server names it. */
export type TapbackKind = "love" | "like" | "dislike" | "laugh" | "emphasize" | "question";

interface Tapback {
  kind: TapbackKind;
  /** The Chat SDK's well-known emoji name. */
  emoji: string;
  /** The emoji Spectrum puts on the wire for this tapback. */
  wire: string;
}

const TAPBACKS: readonly Tapback[] = [
  { kind: "love", emoji: "heart", wire: "❤️" },
  { kind: "like", emoji: "thumbs_up", wire: "👍" },
  { kind: "dislike", emoji: "thumbs_down", wire: "👎" },
  { kind: "laugh", emoji: "laugh", wire: "😂" },
  { kind: "emphasize", emoji: "exclamation", wire: "‼️" },
  { kind: "question", emoji: "question", wire: "❓" },
];

const BY_NAME = new Map<string, Tapback>();
for (const tapback of TAPBACKS) {
  for (const name of [tapback.kind, tapback.emoji, tapback.wire, tapback.wire.replace("\uFE0F", "")]) {
    BY_NAME.set(name, tapback);
  }
}
// Spellings users reach for that mean the same tapback.
BY_NAME.set("+1", BY_NAME.get("like") as Tapback);
BY_NAME.set("-1", BY_NAME.get("dislike") as Tapback);
BY_NAME.set("❤", BY_NAME.get("love") as Tapback);
BY_NAME.set("bangbang", BY_NAME.get("emphasize") as Tapback);
BY_NAME.set("❗", BY_NAME.get("emphasize") as Tapback);
BY_NAME.set("joy", BY_NAME.get("laugh") as Tapback);
BY_NAME.set("haha", BY_NAME.get("laugh") as Tapback);

function nameOf(emoji: EmojiValue | string): string {
  if (typeof emoji === "string") {
    const placeholder = /^\{\{emoji:([a-z0-9_+-]+)\}\}$/i.exec(emoji.trim());
    return placeholder?.[1] ?? emoji.trim();
  }
  return emoji.name;
}

/**
 * The tapback for a Chat SDK emoji (`heart`, `thumbs_up`, an EmojiValue, `{{emoji:laugh}}`) or a tapback name.
 * Anything else throws, naming the six that exist.
 *
 * @example
 * ```ts
 * tapbackFor(emoji.heart); // "love"
 * tapbackFor("exclamation"); // "emphasize"
 * ```
 */
export function tapbackFor(emoji: EmojiValue | string): TapbackKind {
  const tapback = BY_NAME.get(nameOf(emoji).toLowerCase()) ?? BY_NAME.get(nameOf(emoji));
  if (!tapback) {
    throw new ValidationError(
      `Unsupported iMessage tapback "${nameOf(emoji)}": use one of love/heart, like/thumbs_up, dislike/thumbs_down, laugh, emphasize/exclamation, question`,
    );
  }
  return tapback.kind;
}

/** The Chat SDK emoji for a tapback seen on the wire: a classic one by its name, an emoji tapback by its well-known name when it has one. */
export function emojiForWire(raw: string): EmojiValue {
  const tapback = BY_NAME.get(raw) ?? BY_NAME.get(raw.toLowerCase());
  if (tapback) return getEmoji(tapback.emoji);
  return PICTOGRAPH.test(raw) ? defaultEmojiResolver.fromGChat(raw) : getEmoji(raw);
}

/** Text that contains an emoji character (a pictograph, a keycap or a flag). */
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;

/** The reaction the iMessage server sets: a classic tapback by kind, any other emoji as an emoji tapback. */
export type ReactionInput = { kind: TapbackKind } | { kind: "emoji"; emoji: string };

/**
 * The reaction for a Chat SDK emoji: the classic six (`heart`, `thumbs_up`, `{{emoji:laugh}}`, `❤️`…) as
 * tapbacks, any other emoji — a character like `👀`, or a well-known name like `eyes` or `emoji.fire` — as
 * an emoji tapback. A name that is no emoji throws, saying what to pass.
 *
 * @example
 * ```ts
 * reactionFor(emoji.heart); // { kind: "love" }
 * reactionFor("👀"); // { kind: "emoji", emoji: "👀" }
 * reactionFor(emoji.fire); // { kind: "emoji", emoji: "🔥" }
 * ```
 */
export function reactionFor(emoji: EmojiValue | string): ReactionInput {
  const name = nameOf(emoji);
  const tapback = BY_NAME.get(name.toLowerCase()) ?? BY_NAME.get(name);
  if (tapback) return { kind: tapback.kind };
  if (PICTOGRAPH.test(name)) return { kind: "emoji", emoji: name };
  const resolved = defaultEmojiResolver.toGChat(name);
  if (PICTOGRAPH.test(resolved)) return { kind: "emoji", emoji: resolved };
  throw new ValidationError(
    `"${name}" is not an emoji: pass an emoji character ("👀"), a Chat SDK emoji (emoji.fire, "{{emoji:fire}}"), or a tapback name (love, like, dislike, laugh, emphasize, question)`,
  );
}

/** The wire emoji of a tapback kind. */
export function wireEmojiOf(kind: TapbackKind): string {
  return (TAPBACKS.find((t) => t.kind === kind) as Tapback).wire;
}
