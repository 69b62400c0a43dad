/**
 * @module Spectrum webhook signing, envelopes and delivery (WebCrypto + fetch; runs in Node and workerd).
 */

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

/** Inputs for {@link spectrumWebhookHeaders}. */
export interface WebhookSigningInput {
  secret: string;
  body: string | Uint8Array;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Defaults to `wh_<uuid>`. */
  webhookId?: string;
}

/**
 * All headers Spectrum Cloud sends with a webhook, signature included.
 *
 * @example
 * const headers = await spectrumWebhookHeaders({ secret: "whsec_test", body });
 * await fetch(url, { method: "POST", headers, body });
 */
export async function spectrumWebhookHeaders(input: WebhookSigningInput): Promise<Record<string, string>> {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    "content-type": "application/json",
    "user-agent": "spectrum-webhook/1.0",
    "x-spectrum-event": "messages",
    "x-spectrum-webhook-id": input.webhookId ?? `wh_${crypto.randomUUID()}`,
    "x-spectrum-timestamp": String(timestamp),
    "x-spectrum-signature": await signSpectrumWebhook(input.secret, timestamp, input.body),
  };
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
    type: input.chatGuid.startsWith("any;+;") ? ("group" as const) : ("dm" as const),
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
  secret: string;
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
  const body = typeof input.envelope === "string" ? input.envelope : JSON.stringify(input.envelope);
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const webhookId = input.webhookId ?? `wh_${crypto.randomUUID()}`;
  const headers = await spectrumWebhookHeaders({ secret: input.secret, body, timestamp, webhookId });
  try {
    const response = await fetcher(input.url, { method: "POST", headers, body });
    return { status: response.status, body: await response.text(), webhookId, timestamp };
  } catch (error) {
    return { status: 0, body: "", webhookId, timestamp, error: error instanceof Error ? error.message : String(error) };
  }
}
