/**
 * @module local-bridge/tapback
 * Recognises tapback rows of the Messages database (`associated_message_type`) and their targets.
 */
import { type TapbackKind, wireEmojiOf } from "../../src/adapter/tapbacks.ts";

/** A tapback a row adds or removes. */
export interface Tapback {
  kind: TapbackKind;
  /** The emoji iMessage shows for it, as on the Spectrum wire (❤️ 👍 👎 😂 ‼️ ❓). */
  rawEmoji: string;
  /** True for codes 2000–2005 (added), false for 3000–3005 (removed). */
  added: boolean;
}

/** Tapback kinds in code order: 2000 + index adds, 3000 + index removes. */
const KINDS: readonly TapbackKind[] = ["love", "like", "dislike", "laugh", "emphasize", "question"];
const ADD_BASE = 2000;
const REMOVE_BASE = 3000;

/**
 * The tapback an `associated_message_type` encodes, or undefined for ordinary messages and for codes
 * this bridge does not map (custom emoji 2006/3006, stickers 2007/3007, polls…).
 *
 * @example
 * ```ts
 * tapbackFromType(2001); // { kind: "like", rawEmoji: "👍", added: true }
 * tapbackFromType(3000)?.added; // false
 * ```
 */
export function tapbackFromType(associatedMessageType: number | null | undefined): Tapback | undefined {
  if (!associatedMessageType) return undefined;
  const added = associatedMessageType < REMOVE_BASE;
  const index = associatedMessageType - (added ? ADD_BASE : REMOVE_BASE);
  const kind = index >= 0 ? KINDS[index] : undefined;
  return kind ? { kind, rawEmoji: wireEmojiOf(kind), added } : undefined;
}

/**
 * The GUID of the message a tapback targets: `p:<part>/<guid>` or `bp:<guid>` → `<guid>`.
 *
 * @example
 * ```ts
 * tapbackTargetGuid("p:0/5B1A…"); // "5B1A…"
 * tapbackTargetGuid("bp:9C2D…"); // "9C2D…"
 * ```
 */
export function tapbackTargetGuid(associatedMessageGuid: string | null | undefined): string | undefined {
  if (!associatedMessageGuid) return undefined;
  const match = /^(?:p:\d+\/|bp:)(.+)$/.exec(associatedMessageGuid);
  return match ? match[1] : associatedMessageGuid;
}
