/**
 * @module Spectrum webhook signing, envelopes and delivery (WebCrypto + fetch; runs in Node and workerd).
 */
import { rawEventOfEnvelope, rawInboundWrapper } from "./raw-inbound.ts";

/** The JSON value a webhook carries: a slim Spectrum envelope like `fixtures/webhooks/*.json`. */
export interface SpectrumEnvelope {
  event: string;
  space?: { id: string; platform?: string; type?: "dm" | "group"; phone?: string };
  message?: {
    id: string;
    platform?: string;
    direction?: string;
    timestamp?: string;
    sender?: { id: string; platform?: string };
    space: { id: string; platform?: string; type?: "dm" | "group"; phone?: string };
    content: { type: string; [field: string]: unknown };
  };
  [field: string]: unknown;
}

const encoder = new TextEncoder();

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

/**
 * Spectrum's signature over the exact body bytes: `v0=` + hex HMAC-SHA256(secret, `v0:<ts>:<body>`).
 * The secret's UTF-8 bytes are the key (a `whsec_` prefix is part of it).
 *
 * @example
 * const signature = await signSpectrumWebhook("whsec_test", 1763658245, rawBody);
 */
export async function signSpectrumWebhook(secret: string, timestamp: number | string, body: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const prefix = encoder.encode(`v0:${timestamp}:`);
  const raw = bodyBytes(body);
  const message = new Uint8Array(prefix.byteLength + raw.byteLength);
  message.set(prefix, 0);
  message.set(raw, prefix.byteLength);
  return `v0=${toHex(await crypto.subtle.sign("HMAC", key, message))}`;
}

/** Which header sets a delivery carries: both (what newer registrations send), or one of them. */
export type SigningSchemes = "both" | "native" | "standard";

/** Inputs for {@link spectrumWebhookHeaders}. */
export interface WebhookSigningInput {
  /**
   * The registration's secret(s), comma-separated like `IMESSAGE_WEBHOOK_SECRET`: the 64-hex `signingSecret`
   * signs `X-Spectrum-Signature` (else the first secret, as UTF-8 — the seed's `whsec_…` setup); every
   * `whsec_` secret of 24–64 bytes adds one `v1,` entry to `webhook-signature` (several during a rotation).
   */
  secret: string;
  body: string | Uint8Array;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Defaults to `wh_<uuid>`. */
  webhookId?: string;
  /** Default `both`: each header set there is a secret for. */
  schemes?: SigningSchemes;
}

/** The Standard Webhooks key of a `whsec_` secret (padding optional), or undefined. */
export function standardKeyOf(secret: string): Uint8Array<ArrayBuffer> | undefined {
  const body = secret.startsWith("whsec_") ? secret.slice(6).replace(/=+$/, "") : "";
  if (!/^[A-Za-z0-9+/]+$/.test(body) || body.length % 4 === 1) return undefined;
  const binary = atob(body + "=".repeat((4 - (body.length % 4)) % 4));
  if (binary.length < 24 || binary.length > 64) return undefined;
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * A Standard Webhooks signature entry: `v1,` + base64 HMAC-SHA256(key, `<id>.<ts>.<body>`).
 *
 * @example
 * const entry = await signStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "wh_1", 1763658245, rawBody);
 */
export async function signStandardWebhook(secret: string, webhookId: string, timestamp: number, body: string | Uint8Array): Promise<string> {
  const keyBytes = standardKeyOf(secret);
  if (!keyBytes) throw new Error(`"${secret.slice(0, 10)}…" is not a whsec_ secret of 24–64 bytes`);
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const prefix = encoder.encode(`${webhookId}.${timestamp}.`);
  const raw = bodyBytes(body);
  const message = new Uint8Array(prefix.byteLength + raw.byteLength);
  message.set(prefix, 0);
  message.set(raw, prefix.byteLength);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}

/**
 * All headers Spectrum Cloud sends with a webhook, signatures included: `X-Spectrum-*` signed with the
 * native secret and, when a `whsec_` secret is given, the Standard Webhooks set (`webhook-*`) beside it.
 *
 * @example
 * const headers = await spectrumWebhookHeaders({ secret: "whsec_test", body });
 * await fetch(url, { method: "POST", headers, body });
 */
export async function spectrumWebhookHeaders(input: WebhookSigningInput): Promise<Record<string, string>> {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const webhookId = input.webhookId ?? `wh_${crypto.randomUUID()}`;
  const secrets = input.secret.split(/[\s,]+/).filter(Boolean);
  const native = secrets.find((secret) => /^[0-9a-f]{64}$/i.test(secret)) ?? secrets[0] ?? "";
  const standard = secrets.filter((secret) => standardKeyOf(secret) !== undefined);
  const schemes = input.schemes ?? "both";
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "spectrum-webhook/1.0",
    "x-spectrum-event": "messages",
  };
  if (schemes !== "standard") {
    headers["x-spectrum-webhook-id"] = webhookId;
    headers["x-spectrum-timestamp"] = String(timestamp);
    headers["x-spectrum-signature"] = await signSpectrumWebhook(native, timestamp, input.body);
  }
  if (schemes !== "native" && standard.length > 0) {
    headers["webhook-id"] = webhookId;
    headers["webhook-timestamp"] = String(timestamp);
    headers["webhook-signature"] = (await Promise.all(standard.map((secret) => signStandardWebhook(secret, webhookId, timestamp, input.body)))).join(" ");
  }
  return headers;
}

/** Inputs for {@link buildEnvelope}: `text` for a text message, or any `content` object. */
export interface EnvelopeInput {
  chatGuid: string;
  sender: string;
  text?: string;
  content?: { type: string; [field: string]: unknown };
  /** The receiving number: `"shared"` (default) or a dedicated phone. */
  phone?: string;
  messageId?: string;
  /** ISO time; defaults to now. */
  timestamp?: string;
}

/**
 * A slim inbound `messages` envelope shaped like the fixtures.
 *
 * @example
 * const envelope = buildEnvelope({ chatGuid: "any;-;+15551234567", sender: "+15551234567", text: "hi" });
 */
export function buildEnvelope(input: EnvelopeInput): SpectrumEnvelope {
  const content = input.content ?? { type: "text", text: input.text ?? "" };
  const space = {
    id: input.chatGuid,
    platform: "imessage",
    // A group GUID under any service prefix (`any;+;`, `iMessage;+;`) is a group.
    type: input.chatGuid.includes(";+;") ? ("group" as const) : ("dm" as const),
    phone: input.phone ?? "shared",
  };
  return {
    event: "messages",
    space,
    message: {
      id: input.messageId ?? `spc-msg-${crypto.randomUUID()}`,
      platform: "imessage",
      direction: "inbound",
      timestamp: input.timestamp ?? new Date().toISOString(),
      sender: { id: input.sender, platform: "imessage" },
      space,
      content,
    },
  };
}

/** A delivery request (`POST /__sim/deliver`). `envelope` as a string is sent byte-for-byte. */
export interface DeliveryInput {
  url: string;
  /** The registration's secret(s), comma-separated (see {@link WebhookSigningInput.secret}). */
  secret: string;
  /** Which header sets to send (default: both, where there is a secret for each). */
  schemes?: SigningSchemes;
  /**
   * The webhook's schema: `normalized-events.v1` (default, the envelope as JSON) or `raw-inbound.v1`
   * (the message as a protobuf CatchUpEvent in the Standard `message.received` wrapper, signed with the
   * Standard scheme only — it needs a whsec_ secret).
   */
  schema?: "normalized-events.v1" | "raw-inbound.v1";
  envelope: SpectrumEnvelope | string;
  webhookId?: string;
  timestamp?: number;
}

/** What the receiving endpoint answered. */
export interface DeliveryResult {
  status: number;
  body: string;
  webhookId: string;
  timestamp: number;
  error?: string;
}

/** Signs and POSTs one webhook like Spectrum Cloud; a network failure is reported as status 0. */
export async function deliverWebhook(input: DeliveryInput, fetcher: typeof fetch = fetch): Promise<DeliveryResult> {
  let body = typeof input.envelope === "string" ? input.envelope : JSON.stringify(input.envelope);
  if (input.schema === "raw-inbound.v1") {
    const event = rawEventOfEnvelope(JSON.parse(body) as Parameters<typeof rawEventOfEnvelope>[0]);
    if (!event) throw new Error("raw-inbound.v1 deliveries carry text, attachments, groups and replies in this simulator");
    body = JSON.stringify(rawInboundWrapper(event));
  }
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const webhookId = input.webhookId ?? `wh_${crypto.randomUUID()}`;
  const schemes = input.schema === "raw-inbound.v1" ? "standard" : input.schemes;
  const headers = await spectrumWebhookHeaders({ secret: input.secret, body, timestamp, webhookId, schemes });
  try {
    const response = await fetcher(input.url, { method: "POST", headers, body });
    return { status: response.status, body: await response.text(), webhookId, timestamp };
  } catch (error) {
    return { status: 0, body: "", webhookId, timestamp, error: error instanceof Error ? error.message : String(error) };
  }
}
