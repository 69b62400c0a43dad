/**
 * @module webhook/verify
 * Verifies a Spectrum delivery's signature over the exact received bytes, in both schemes:
 * native (`X-Spectrum-Signature: v0=<hex>`) and Standard Webhooks (`webhook-signature: v1,<base64>`).
 */

/** Deliveries older or newer than this are rejected as replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Which signing scheme a delivery used. */
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
/** Standard Webhooks secrets decode to 24–64 bytes (spectrum-ts `webhook/standard.ts`). */
const STANDARD_SECRET_BYTES = { min: 24, max: 64 } as const;

const encoder = new TextEncoder();

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

function staleMessage(timestamp: number, now: number): string | undefined {
  const skew = Math.round(now / 1000 - timestamp);
  if (Math.abs(skew) <= SIGNATURE_TOLERANCE_SECONDS) return undefined;
  return `timestamp is ${Math.abs(skew)} s ${skew > 0 ? "old" : "in the future"}; deliveries must be within ${SIGNATURE_TOLERANCE_SECONDS} s of now (check the sender's clock, or this is a replay)`;
}

function base64ToBytes(value: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(value);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The HMAC key of a Standard Webhooks secret: the canonical base64 after an optional `whsec_` prefix,
 * decoding to 24–64 bytes. Anything else is a configuration error, reported with what to set — never
 * silently replaced by the secret's UTF-8 bytes.
 *
 * @returns the key bytes, or a message saying what is wrong with the secret
 */
export function standardSecretKey(secret: string): Uint8Array<ArrayBuffer> | string {
  const stripped = secret.startsWith("whsec_") ? secret.slice(6) : secret;
  const decoded = base64ToBytes(stripped);
  const fix = "set IMESSAGE_WEBHOOK_SECRET to the whsec_… signing secret exactly as the Spectrum dashboard shows it";
  if (!decoded || bytesToBase64(decoded) !== stripped) {
    return `IMESSAGE_WEBHOOK_SECRET is not a Standard Webhooks secret (whsec_ + canonical base64): ${fix}`;
  }
  if (decoded.length < STANDARD_SECRET_BYTES.min || decoded.length > STANDARD_SECRET_BYTES.max) {
    return `IMESSAGE_WEBHOOK_SECRET decodes to ${decoded.length} bytes; Standard Webhooks secrets are ${STANDARD_SECRET_BYTES.min}–${STANDARD_SECRET_BYTES.max} bytes: ${fix}`;
  }
  return decoded;
}

async function verifyStandard(
  headers: Record<string, string>,
  rawBody: Uint8Array,
  secret: string,
  now: number,
): Promise<VerifyOutcome> {
  const webhookId = headers["webhook-id"] ?? "";
  const signatures = headers["webhook-signature"] ?? "";
  const timestampHeader = headers["webhook-timestamp"];
  if (!webhookId || !timestampHeader || !signatures) {
    return { ok: false, status: 400, error: "missing webhook-id, webhook-timestamp or webhook-signature header" };
  }
  if (!STANDARD_WEBHOOK_ID.test(webhookId)) {
    return { ok: false, status: 400, error: "webhook-id must be 1–256 printable ASCII characters without dots or spaces" };
  }
  const timestamp = parseTimestamp(timestampHeader, "webhook-timestamp");
  if (typeof timestamp === "string") return { ok: false, status: 400, error: timestamp };
  const stale = staleMessage(timestamp, now);
  if (stale) return { ok: false, status: 401, error: stale };
  const secretKey = standardSecretKey(secret);
  if (typeof secretKey === "string") return { ok: false, status: 500, error: secretKey };

  const key = await crypto.subtle.importKey(
    "raw",
    secretKey,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const prefix = encoder.encode(`${webhookId}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + rawBody.length);
  signed.set(prefix);
  signed.set(rawBody, prefix.length);
  for (const entry of signatures.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) continue;
    const mac = base64ToBytes(value);
    if (mac && (await crypto.subtle.verify("HMAC", key, mac, signed))) {
      return { ok: true, scheme: "standard", webhookId, timestamp };
    }
  }
  return { ok: false, status: 401, error: "webhook-signature does not match: check IMESSAGE_WEBHOOK_SECRET" };
}

/** HMAC keys of native secrets, imported once per secret (an import per delivery was 1/15 of its CPU). */
const nativeKeys = new Map<string, Promise<CryptoKey>>();

function nativeKey(secret: string): Promise<CryptoKey> {
  let key = nativeKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    if (nativeKeys.size >= 8) nativeKeys.delete(nativeKeys.keys().next().value as string);
    nativeKeys.set(secret, key);
  }
  return key;
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length !== 64 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * The native scheme (as spectrum-ts's `verifySpectrumSignature` defines it): lowercase hex of
 * HMAC-SHA256 keyed with the secret's UTF-8 bytes over `"v0:" + timestamp + ":" + rawBody`, `v0=`
 * prefix optional, compared in constant time by `crypto.subtle.verify`.
 */
async function nativeSignatureMatches(header: string, timestamp: string, rawBody: Uint8Array, secret: string): Promise<boolean> {
  const mac = hexBytes(header.trim().replace(/^v0=/, ""));
  if (!mac) return false;
  const prefix = encoder.encode(`v0:${timestamp}:`);
  const signed = new Uint8Array(prefix.length + rawBody.length);
  signed.set(prefix);
  signed.set(rawBody, prefix.length);
  return await crypto.subtle.verify("HMAC", await nativeKey(secret), mac, signed);
}

async function verifyNative(
  headers: Record<string, string>,
  rawBody: Uint8Array,
  secret: string,
  now: number,
): Promise<VerifyOutcome> {
  const timestampHeader = headers["x-spectrum-timestamp"];
  if (!headers["x-spectrum-signature"] || !timestampHeader) {
    return {
      ok: false,
      status: 400,
      error: "unsigned delivery: X-Spectrum-Signature and X-Spectrum-Timestamp headers are required",
    };
  }
  const timestamp = parseTimestamp(timestampHeader, "X-Spectrum-Timestamp");
  if (typeof timestamp === "string") return { ok: false, status: 400, error: timestamp };
  const stale = staleMessage(timestamp, now);
  if (stale) return { ok: false, status: 401, error: stale };
  if (!(await nativeSignatureMatches(headers["x-spectrum-signature"], timestampHeader.trim(), rawBody, secret))) {
    return {
      ok: false,
      status: 401,
      error: "X-Spectrum-Signature does not match the body: check IMESSAGE_WEBHOOK_SECRET (the whole secret, whsec_ prefix included)",
    };
  }
  return { ok: true, scheme: "spectrum", webhookId: headers["x-spectrum-webhook-id"], timestamp };
}

/**
 * Verifies a delivery's signature over `rawBody` — the exact received bytes, never re-serialized JSON.
 * Standard Webhooks headers are used when `webhook-signature` is present, otherwise the native scheme.
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
  secret: string,
  now: number = Date.now(),
): Promise<VerifyOutcome> {
  const lower = lowercaseHeaders(headers);
  return lower["webhook-signature"]
    ? verifyStandard(lower, rawBody, secret, now)
    : verifyNative(lower, rawBody, secret, now);
}
