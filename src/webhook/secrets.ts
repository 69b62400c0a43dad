/**
 * @module webhook/secrets
 * The configured webhook signing secrets (`IMESSAGE_WEBHOOK_SECRET`): one or several, each checked in its
 * own scheme. Spectrum shows two at registration — `signingSecret` (64 hex, for `X-Spectrum-Signature`)
 * and `standardSigningSecret` (`whsec_…`, Standard Webhooks) — and a rotation keeps the previous one live.
 */
import { base64ToBytes } from "../core/bytes.ts";

/** One configured secret and the schemes it can verify. */
export interface WebhookSecret {
  /** The secret as configured: the native scheme's HMAC key is its UTF-8 bytes (a `whsec_` prefix included). */
  value: string;
  /** The Standard Webhooks key (base64 after `whsec_`, 24–64 bytes); absent for hex and other secrets. */
  standardKey: Uint8Array<ArrayBuffer> | undefined;
  /** What kind of secret this is, for logs and `npm run smoke`. */
  kind: "hex" | "whsec" | "other";
}

/** Standard Webhooks secrets decode to 24–64 bytes (spectrum-ts `webhook/standard.ts`). */
const STANDARD_SECRET_BYTES = { min: 24, max: 64 } as const;

/**
 * The Standard Webhooks key of a `whsec_…` secret, padding optional (as the Standard Webhooks libraries
 * accept it); undefined when the rest is not base64 of 24–64 bytes (such a secret is still a native key).
 */
function standardKeyOf(secret: string): Uint8Array<ArrayBuffer> | undefined {
  if (!secret.startsWith("whsec_")) return undefined;
  const bytes = base64ToBytes(secret.slice(6));
  if (!bytes || bytes.length < STANDARD_SECRET_BYTES.min || bytes.length > STANDARD_SECRET_BYTES.max) return undefined;
  return bytes;
}

/**
 * The secrets of a configured value: separated by commas or whitespace (neither occurs in a secret),
 * duplicates dropped, in order.
 *
 * @example
 * ```ts
 * parseWebhookSecrets("3f9a…c1, whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
 * // → [{ kind: "hex", … }, { kind: "whsec", standardKey: Uint8Array(32), … }]
 * ```
 */
export function parseWebhookSecrets(configured: string | readonly string[] | undefined): readonly WebhookSecret[] {
  // A Worker's secret is the same string on every delivery: parse (and base64-decode) it once.
  if (typeof configured === "string" && parsedOnce?.configured === configured) return parsedOnce.secrets;
  const secrets = parseAll(configured);
  if (typeof configured === "string") parsedOnce = { configured, secrets };
  return secrets;
}

/** The last configured string parsed, and its secrets (never mutated by callers). */
let parsedOnce: { configured: string; secrets: readonly WebhookSecret[] } | undefined;

function parseAll(configured: string | readonly string[] | undefined): WebhookSecret[] {
  const values = (typeof configured === "string" ? [configured] : (configured ?? []))
    .flatMap((value) => value.split(/[\s,]+/))
    .filter(Boolean);
  return [...new Set(values)].map((value) => {
    const standardKey = standardKeyOf(value);
    const kind = /^[0-9a-fA-F]{64}$/.test(value) ? "hex" : value.startsWith("whsec_") ? "whsec" : "other";
    return { value, standardKey, kind };
  });
}

/**
 * What the configured secrets can verify (for the health route and `npm run smoke`).
 *
 * @example
 * ```ts
 * describeWebhookSecrets("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
 * // → { count: 1, kinds: ["whsec"], native: true, standard: true }
 * ```
 */
export function describeWebhookSecrets(configured: string | readonly string[] | undefined): {
  count: number;
  kinds: WebhookSecret["kind"][];
  native: boolean;
  standard: boolean;
} {
  const secrets = parseWebhookSecrets(configured);
  return {
    count: secrets.length,
    kinds: secrets.map((secret) => secret.kind),
    native: secrets.length > 0,
    standard: secrets.some((secret) => secret.standardKey !== undefined),
  };
}
