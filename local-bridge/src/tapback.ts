/**
 * @module local-bridge/tapback
 * Recognises tapback rows of the Messages database (`associated_message_type`) and their targets.
 *
 * Codes (imessage-exporter's reading of the database, checked against iOS 18 / macOS 15–26 rows):
 * 2000–2005 add love/like/dislike/laugh/emphasize/question and 3000–3005 remove them; 2006/3006 add or
 * remove a custom emoji, which `associated_message_emoji` holds; 2007/3007 add or remove a sticker
 * (no emoji: the sticker is an attachment of the row); 1000 is the older sticker placed on a message.
 * `associated_message_guid` names the target as `p:<part>/<guid>`, `bp:<guid>` (balloons) or a bare GUID.
 */
import { type TapbackKind, wireEmojiOf } from "chat-adapter-imessage/extend";

/** The raw emoji this bridge reports for sticker tapbacks (stickers have no emoji). */
export const STICKER_REACTION = "sticker";

/** A tapback a row adds or removes. */
export interface Tapback {
  /** A classic tapback, a custom emoji, or a sticker. */
  kind: TapbackKind | "emoji" | "sticker";
  /**
   * The emoji as the row gives it: ❤️ 👍 👎 😂 ‼️ ❓ for classic tapbacks (as on the Spectrum wire), the
   * `associated_message_emoji` exactly as stored for custom ones, {@link STICKER_REACTION} for stickers.
   */
  rawEmoji: string;
  /** True when the row adds the tapback (2000–2007, 1000), false when it removes it (3000–3007). */
  added: boolean;
}

/** A tapback's target: the message GUID and, when the row names one, the body part (`p:2/…` = third part). */
export interface TapbackTarget {
  guid: string;
  /** Part index from `p:<part>/`; undefined for `bp:` and bare GUIDs. */
  part: number | undefined;
}

/** Tapback kinds in code order: 2000 + index adds, 3000 + index removes. */
const KINDS: readonly TapbackKind[] = ["love", "like", "dislike", "laugh", "emphasize", "question"];
const ADD_BASE = 2000;
const REMOVE_BASE = 3000;
const EMOJI_OFFSET = 6;
const STICKER_OFFSET = 7;
const LEGACY_STICKER = 1000;

/**
 * The tapback an `associated_message_type` encodes, or undefined for ordinary messages and codes that are
 * not tapbacks. A custom-emoji code (2006/3006) whose emoji column is empty is not a tapback either:
 * there is nothing to report.
 *
 * @example
 * ```ts
 * tapbackFromType(2001); // { kind: "like", rawEmoji: "👍", added: true }
 * tapbackFromType(3006, "💀"); // { kind: "emoji", rawEmoji: "💀", added: false }
 * tapbackFromType(2007); // { kind: "sticker", rawEmoji: "sticker", added: true }
 * ```
 */
export function tapbackFromType(
  associatedMessageType: number | null | undefined,
  associatedMessageEmoji?: string | null,
): Tapback | undefined {
  if (!associatedMessageType) return undefined;
  if (associatedMessageType === LEGACY_STICKER) return { kind: "sticker", rawEmoji: STICKER_REACTION, added: true };
  const added = associatedMessageType < REMOVE_BASE;
  const index = associatedMessageType - (added ? ADD_BASE : REMOVE_BASE);
  if (index === EMOJI_OFFSET) {
    return associatedMessageEmoji ? { kind: "emoji", rawEmoji: associatedMessageEmoji, added } : undefined;
  }
  if (index === STICKER_OFFSET) return { kind: "sticker", rawEmoji: STICKER_REACTION, added };
  const kind = index >= 0 ? KINDS[index] : undefined;
  return kind ? { kind, rawEmoji: wireEmojiOf(kind), added } : undefined;
}

/**
 * The target of a tapback: `p:<part>/<guid>` → guid and part, `bp:<guid>` → guid, a bare GUID as it is.
 *
 * @example
 * ```ts
 * tapbackTarget("p:2/5B1A…"); // { guid: "5B1A…", part: 2 }
 * tapbackTarget("bp:9C2D…"); // { guid: "9C2D…", part: undefined }
 * ```
 */
export function tapbackTarget(associatedMessageGuid: string | null | undefined): TapbackTarget | undefined {
  if (!associatedMessageGuid) return undefined;
  const part = /^p:(\d+)\/(.+)$/.exec(associatedMessageGuid);
  if (part) return { guid: part[2] as string, part: Number(part[1]) };
  const balloon = /^bp:(.+)$/.exec(associatedMessageGuid);
  return { guid: balloon ? (balloon[1] as string) : associatedMessageGuid, part: undefined };
}

/**
 * The GUID of the message a tapback targets: `p:<part>/<guid>` or `bp:<guid>` → `<guid>`.
 *
 * @example
 * ```ts
 * tapbackTargetGuid("p:0/5B1A…"); // "5B1A…"
 * ```
 */
export function tapbackTargetGuid(associatedMessageGuid: string | null | undefined): string | undefined {
  return tapbackTarget(associatedMessageGuid)?.guid;
}
