/**
 * @module webhook/verify
 * Verifies a Spectrum delivery's signature over the exact received bytes. The configured secrets decide
 * the scheme, never the headers: a delivery is authentic when any signature it carries verifies under any
 * configured secret in that secret's own scheme — native (`X-Spectrum-Signature: v0=<hex>`, HMAC keyed with
 * the secret's UTF-8 bytes) or Standard Webhooks (`webhook-signature: v1,<base64>`, keyed with the
 * base64-decoded `whsec_…` secret). Spectrum may send both header sets on one delivery.
 */
import { base64ToBytes } from "../core/bytes.ts";
import { parseWebhookSecrets, type WebhookSecret } from "./secrets.ts";

/** Deliveries older or newer than this are rejected as replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Which signing scheme a delivery was verified with. */
export type SignatureScheme = "spectrum" | "standard";

/** Outcome of {@link verifyDelivery}; a failure carries the HTTP status and a message saying what to fix. */
export type VerifyOutcome =
  | { ok: true; scheme: SignatureScheme; webhookId: string | undefined; timestamp: number }
  | { ok: false; status: 400 | 401 | 500; error: string };

/**
 * Standard Webhooks message ids: printable ASCII without `.` (the signed content joins id, timestamp and
 * body with dots), at most 256 characters (spectrum-ts `webhook/standard.ts` rejects ids with dots).
 */
const STANDARD_WEBHOOK_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;
/** At most this many `v1,` entries are checked (a rotation has two or three; more is hostile). */
const MAX_STANDARD_SIGNATURES = 8;

const encoder = new TextEncoder();

/** One header set's verdict: authentic, or why not (400 malformed headers, 401 stale or no match). */
type SetOutcome = { ok: true; timestamp: number } | { ok: false; status: 400 | 401; error: string };

function lowercaseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key.toLowerCase()] = value;
  });
  return out;
}

function parseTimestamp(raw: string, header: string): number | string {
  if (!/^\d{1,12}$/.test(raw.trim())) {
    return `${header} must be unix seconds (digits only), got "${raw.slice(0, 40)}"`;
  }
  return Number(raw.trim());
}

/** The replay window, floored to whole seconds as spectrum-ts's verifier does (`⌊now⌋`). */
function staleMessage(header: string, timestamp: number, now: number): string | undefined {
  const skew = Math.floor(now / 1000) - timestamp;
  if (Math.abs(skew) <= SIGNATURE_TOLERANCE_SECONDS) return undefined;
  return `${header} is ${Math.abs(skew)} s ${skew > 0 ? "old" : "in the future"}; deliveries must be within ${SIGNATURE_TOLERANCE_SECONDS} s of now (check the sender's clock, or this is a replay)`;
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length !== 64 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** HMAC keys imported once per key material (an import per delivery was 1/15 of its CPU). */
const importedKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(cacheKey: string, material: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  let key = importedKeys.get(cacheKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", material, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    if (importedKeys.size >= 16) importedKeys.delete(importedKeys.keys().next().value as string);
    importedKeys.set(cacheKey, key);
  }
  return key;
}

function joined(prefix: string, rawBody: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = encoder.encode(prefix);
  const signed = new Uint8Array(head.length + rawBody.length);
  signed.set(head);
  signed.set(rawBody, head.length);
  return signed;
}

/**
 * The native scheme (spectrum-ts `verifySpectrumSignature`): lowercase hex of HMAC-SHA256 keyed with the
 * secret's UTF-8 bytes over `"v0:" + timestamp + ":" + rawBody`, `v0=` prefix optional, compared in constant
 * time by `crypto.subtle.verify`.
 */
async function verifyNativeSet(
  headers: Record<string, string>,
  rawBody: Uint8Array,
  secrets: readonly WebhookSecret[],
  now: number,
): Promise<SetOutcome> {
  const signature = headers["x-spectrum-signature"] ?? "";
  const timestampHeader = headers["x-spectrum-timestamp"];
  if (!timestampHeader) return { ok: false, status: 400, error: "X-Spectrum-Signature without X-Spectrum-Timestamp" };
  const timestamp = parseTimestamp(timestampHeader, "X-Spectrum-Timestamp");
  if (typeof timestamp === "string") return { ok: false, status: 400, error: timestamp };
  const stale = staleMessage("X-Spectrum-Timestamp", timestamp, now);
  if (stale) return { ok: false, status: 401, error: stale };
  const mac = hexBytes(signature.trim().replace(/^v0=/, ""));
  if (mac) {
    const signed = joined(`v0:${timestampHeader.trim()}:`, rawBody);
    for (const secret of secrets) {
      const key = await hmacKey(`v0:${secret.value}`, encoder.encode(secret.value) as Uint8Array<ArrayBuffer>);
      if (await crypto.subtle.verify("HMAC", key, mac, signed)) return { ok: true, timestamp };
    }
  }
  return {
    ok: false,
    status: 401,
    error: `X-Spectrum-Signature matches none of the ${secrets.length} configured secret(s)`,
  };
}

/**
 * Standard Webhooks: HMAC-SHA256 keyed with the base64-decoded secret over `<id>.<timestamp>.<rawBody>`,
 * one or more space-separated `v1,<base64>` signatures (one per live secret during a rotation).
 */
async function verifyStandardSet(
  headers: Record<string, string>,
  rawBody: Uint8Array,
  secrets: readonly WebhookSecret[],
  now: number,
): Promise<SetOutcome> {
  const webhookId = headers["webhook-id"] ?? "";
  const timestampHeader = headers["webhook-timestamp"];
  if (!webhookId || !timestampHeader) return { ok: false, status: 400, error: "webhook-signature without webhook-id or webhook-timestamp" };
  if (!STANDARD_WEBHOOK_ID.test(webhookId)) {
    return { ok: false, status: 400, error: "webhook-id must be 1–256 printable ASCII characters without dots or spaces" };
  }
  const timestamp = parseTimestamp(timestampHeader, "webhook-timestamp");
  if (typeof timestamp === "string") return { ok: false, status: 400, error: timestamp };
  const stale = staleMessage("webhook-timestamp", timestamp, now);
  if (stale) return { ok: false, status: 401, error: stale };
  const keys = secrets.filter((secret) => secret.standardKey);
  if (keys.length === 0) {
    return {
      ok: false,
      status: 401,
      error: "webhook-signature (Standard Webhooks) can only be checked with the whsec_… secret, and none is configured",
    };
  }
  const macs = (headers["webhook-signature"] ?? "")
    .split(" ")
    .slice(0, MAX_STANDARD_SIGNATURES)
    .map((entry) => entry.split(",", 2))
    .filter(([version, value]) => version === "v1" && value)
    .map(([, value]) => base64ToBytes(value as string))
    .filter((mac): mac is Uint8Array<ArrayBuffer> => mac !== undefined);
  const signed = joined(`${webhookId}.${timestamp}.`, rawBody);
  for (const secret of keys) {
    const key = await hmacKey(`v1:${secret.value}`, secret.standardKey as Uint8Array<ArrayBuffer>);
    for (const mac of macs) {
      if (await crypto.subtle.verify("HMAC", key, mac, signed)) return { ok: true, timestamp };
    }
  }
  return { ok: false, status: 401, error: `webhook-signature matches none of the ${keys.length} configured whsec_ secret(s)` };
}

const FIX =
  "IMESSAGE_WEBHOOK_SECRET must hold the signing secret(s) Spectrum showed when the webhook was registered — the 64-hex signingSecret, the whsec_… standardSigningSecret, or both, comma-separated (add the previous one too while rotating)";

/**
 * Verifies a delivery's signature over `rawBody` — the exact received bytes, never re-serialized JSON.
 * `secrets` is the configured value (`IMESSAGE_WEBHOOK_SECRET`): one secret, or several separated by commas
 * or whitespace. Every header set present is checked against every secret of its scheme; one match is enough.
 * A 500 only for a missing configuration; 400 for unsigned or malformed headers; 401 for stale or unmatched.
 *
 * @example
 * ```ts
 * const outcome = await verifyDelivery(request.headers, bytes, env.IMESSAGE_WEBHOOK_SECRET);
 * if (!outcome.ok) return Response.json({ error: outcome.error }, { status: outcome.status });
 * ```
 */
export async function verifyDelivery(
  headers: Headers,
  rawBody: Uint8Array,
  secrets: string | readonly string[] | undefined,
  now: number = Date.now(),
): Promise<VerifyOutcome> {
  const configured = parseWebhookSecrets(secrets);
  if (configured.length === 0) {
    return {
      ok: false,
      status: 500,
      error: "IMESSAGE_WEBHOOK_SECRET is not configured: set it (wrangler secret put IMESSAGE_WEBHOOK_SECRET) to the signing secret from the Spectrum dashboard (or, behind a trusted forwarder, give the adapter a webhookVerifier)",
    };
  }
  const lower = lowercaseHeaders(headers);
  const sets: { scheme: SignatureScheme; check: () => Promise<SetOutcome> }[] = [];
  if (lower["x-spectrum-signature"]) sets.push({ scheme: "spectrum", check: () => verifyNativeSet(lower, rawBody, configured, now) });
  if (lower["webhook-signature"]) sets.push({ scheme: "standard", check: () => verifyStandardSet(lower, rawBody, configured, now) });
  if (sets.length === 0) {
    return {
      ok: false,
      status: 400,
      error: "unsigned delivery: expected X-Spectrum-Signature and X-Spectrum-Timestamp, or webhook-id, webhook-timestamp and webhook-signature",
    };
  }
  const failures: { status: 400 | 401; error: string }[] = [];
  for (const set of sets) {
    const outcome = await set.check();
    if (outcome.ok) {
      const webhookId = lower["x-spectrum-webhook-id"] ?? lower["webhook-id"];
      return { ok: true, scheme: set.scheme, webhookId, timestamp: outcome.timestamp };
    }
    failures.push(outcome);
  }
  const status = failures.every((failure) => failure.status === 400) ? 400 : 401;
  const reasons = failures.map((failure) => failure.error).join("; ");
  return { ok: false, status, error: status === 400 ? reasons : `${reasons}. ${FIX}` };
}
