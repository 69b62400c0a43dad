/**
 * @module adapter/outbound/effects
 * iMessage expressive-send effects: friendly names (`"confetti"`, `"slam"`…) and Apple's effect ids.
 */
import { ValidationError } from "../../core/errors.ts";

/**
 * Effect ids by friendly name. Bubble effects (`slam`, `loud`, `gentle`, `invisible`) animate the
 * message bubble; the others play full screen. The ids are Apple's, as listed by
 * `MessageEffect` in `@photon-ai/advanced-imessage` 2.2 (the same map the reference adapter exports).
 *
 * @example
 * ```ts
 * await adapter.sendEffect(threadId, "Happy birthday!", iMessageEffect.celebration);
 * ```
 */
export const iMessageEffect = {
  slam: "com.apple.MobileSMS.expressivesend.impact",
  loud: "com.apple.MobileSMS.expressivesend.loud",
  gentle: "com.apple.MobileSMS.expressivesend.gentle",
  invisible: "com.apple.MobileSMS.expressivesend.invisibleink",
  confetti: "com.apple.messages.effect.CKConfettiEffect",
  fireworks: "com.apple.messages.effect.CKFireworksEffect",
  balloons: "com.apple.messages.effect.CKBalloonEffect",
  heart: "com.apple.messages.effect.CKHeartEffect",
  lasers: "com.apple.messages.effect.CKLasersEffect",
  celebration: "com.apple.messages.effect.CKHappyBirthdayEffect",
  sparkles: "com.apple.messages.effect.CKSparklesEffect",
  spotlight: "com.apple.messages.effect.CKSpotlightEffect",
  echo: "com.apple.messages.effect.CKEchoEffect",
} as const;

/** A friendly effect name: `"slam"`, `"confetti"`, … */
export type iMessageEffectName = keyof typeof iMessageEffect;

/** An Apple effect id (a value of {@link iMessageEffect}). */
export type iMessageEffectId = (typeof iMessageEffect)[iMessageEffectName];

/** Other spellings of the same effects: singulars, and the words inside Apple's ids ("impact", "invisible ink"). */
const ALIASES: Record<string, iMessageEffectName> = {
  impact: "slam",
  invisibleink: "invisible",
  balloon: "balloons",
  hearts: "heart",
  love: "heart",
  laser: "lasers",
  firework: "fireworks",
  happybirthday: "celebration",
  sparkle: "sparkles",
};

const IDS = new Set<string>(Object.values(iMessageEffect));

/**
 * Resolves an effect given by friendly name (any case, spaces/dashes ignored: `"Invisible Ink"`),
 * alias, or Apple id to the Apple id the API takes.
 *
 * @throws ValidationError naming the accepted names when the effect is unknown.
 * @example
 * ```ts
 * resolveEffect("confetti"); // "com.apple.messages.effect.CKConfettiEffect"
 * resolveEffect(iMessageEffect.slam); // "com.apple.MobileSMS.expressivesend.impact"
 * ```
 */
export function resolveEffect(effect: iMessageEffectName | iMessageEffectId | string): iMessageEffectId {
  if (IDS.has(effect)) return effect as iMessageEffectId;
  const key = String(effect).toLowerCase().replace(/[\s_-]+/g, "");
  const name = (key in iMessageEffect ? key : ALIASES[key]) as iMessageEffectName | undefined;
  if (name) return iMessageEffect[name];
  throw new ValidationError(
    `unknown iMessage effect "${effect}": use one of ${Object.keys(iMessageEffect).join(", ")} (or an id from iMessageEffect)`,
  );
}
