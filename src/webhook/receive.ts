/**
 * @module webhook/receive
 * Checks an incoming delivery end to end — method, media type, size, signature, envelope — and maps
 * every failure to a status and a body that says what to fix.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { parseDelivery } from "./envelope.ts";
import { runWebhookVerifier, type iMessageWebhookVerifier } from "../core/forwarder.ts";
import { verifyDelivery, type SignatureScheme } from "./verify.ts";

/** Largest delivery body accepted. */
export const MAX_DELIVERY_BYTES = 1024 * 1024;

/** A verified delivery carrying a message envelope. */
export interface VerifiedDelivery {
  envelope: SlimEnvelope;
  messageId: string;
  /** The sender's delivery id (`X-Spectrum-Webhook-Id`, `webhook-id` or the payload's eventId). */
  webhookId: string | undefined;
  /** The signature scheme that verified it, or `verifier` (a trusted forwarder's `webhookVerifier`). */
  scheme: SignatureScheme | "verifier";
  /** How the delivery reached us (default `webhook`); see `DeliveryLedgerClient.handledBy`. */
  channel?: DeliveryChannel;
  /**
   * The path of the Worker route the webhook came in on: a ledger not bound to a bot wakes the bot
   * through it (see `durable-objects/isolate-bot`).
   */
  path?: string;
}

/** The ways a message reaches the adapter. */
export type DeliveryChannel = "webhook" | "relay" | "catch-up";

/** Outcome of {@link receiveDelivery}: a delivery to process, or the response to send right away. */
export type ReceiveOutcome =
  | { ok: true; delivery: VerifiedDelivery }
  | {
      ok: false;
      response: Response;
      /** Why an authentic delivery was acknowledged without a message (200 ignored). */
      ignored?: string;
      /** What a `webhookVerifier` threw (for the log; the sender is not told). */
      cause?: unknown;
    };

/** How deliveries are authenticated: the signing secret(s), or a trusted forwarder's verifier (which then decides alone). */
export interface DeliveryAuth {
  secret?: string | readonly string[];
  verifier?: iMessageWebhookVerifier;
}

/**
 * A JSON error body: `{ "error": "<what is wrong and what to do>" }`.
 *
 * @example
 * ```ts
 * return jsonResponse(401, { error: "signature does not match" });
 * ```
 */
export function jsonResponse(status: number, body: Record<string, unknown>, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers });
}

function isJsonMediaType(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}

/** Reads at most `limit` bytes; undefined when the body is larger. */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (!request.body) return new Uint8Array(0);
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isInteger(declared) && declared > limit) {
    // Declared too large: refused without reading a byte of it.
    await request.body.cancel().catch(() => {});
    return undefined;
  }
  if (Number.isInteger(declared) && declared >= 0 && declared <= limit) {
    // A declared length within the limit: one read (the runtime holds the body to that length).
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > limit ? undefined : bytes;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** An authentic delivery that carries no message for the bot: 200, so Spectrum does not retry it. */
function ignoredOutcome(reason: string): ReceiveOutcome {
  return { ok: false, response: jsonResponse(200, { status: "ignored", reason }), ignored: reason };
}

const tooLarge = () =>
  jsonResponse(413, { error: `delivery body is larger than ${MAX_DELIVERY_BYTES} bytes (1 MiB); Spectrum envelopes never are` });

/**
 * Receives one delivery: 405 wrong method, 415 non-JSON, 413 over 1 MiB, 500 no secret configured,
 * 400 missing headers / non-numeric timestamp / malformed JSON or envelope, 401 bad signature or stale,
 * 200 (acknowledged, skipped) for events and platforms this adapter does not serve. With `{ verifier }` the
 * verifier replaces the signature check: it throwing or returning falsy is 401; a string it returns is parsed
 * instead of the body.
 *
 * @example
 * ```ts
 * const outcome = await receiveDelivery(request, env.IMESSAGE_WEBHOOK_SECRET);
 * if (!outcome.ok) return outcome.response;
 * ```
 */
export async function receiveDelivery(
  request: Request,
  auth: string | readonly string[] | undefined | DeliveryAuth,
  now?: number,
): Promise<ReceiveOutcome> {
  const { secret, verifier } = typeof auth === "object" && !isSecretList(auth) ? auth : { secret: auth, verifier: undefined };
  if (request.method !== "POST") {
    return {
      ok: false,
      response: jsonResponse(405, { error: `use POST for webhook deliveries, not ${request.method}` }, { allow: "POST" }),
    };
  }
  if (!isJsonMediaType(request.headers.get("content-type"))) {
    return {
      ok: false,
      response: jsonResponse(415, {
        error: `deliveries must be "Content-Type: application/json", got "${request.headers.get("content-type") ?? "(none)"}"`,
      }),
    };
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_DELIVERY_BYTES) return { ok: false, response: tooLarge() };
  const rawBody = await readLimited(request, MAX_DELIVERY_BYTES);
  if (!rawBody) return { ok: false, response: tooLarge() };

  let body = rawBody;
  let scheme: VerifiedDelivery["scheme"] = "verifier";
  let webhookId: string | undefined;
  if (verifier) {
    const forwarded = await runWebhookVerifier(verifier, request, rawBody);
    if (!forwarded.ok) return { ok: false, response: jsonResponse(forwarded.status, { error: forwarded.error }), cause: forwarded.cause };
    body = forwarded.body;
    webhookId = request.headers.get("x-spectrum-webhook-id") ?? request.headers.get("webhook-id") ?? undefined;
  } else {
    const verified = await verifyDelivery(request.headers, rawBody, secret, now);
    if (!verified.ok) return { ok: false, response: jsonResponse(verified.status, { error: verified.error }) };
    scheme = verified.scheme;
    webhookId = verified.webhookId;
  }

  const eventHeader = request.headers.get("x-spectrum-event");
  if (eventHeader && eventHeader !== "messages") return ignoredOutcome(`event "${eventHeader.slice(0, 60)}" is not handled`);
  const parsed = parseDelivery(body);
  if (parsed.kind === "invalid") return { ok: false, response: jsonResponse(400, { error: parsed.error }) };
  if (parsed.kind === "ignored") return ignoredOutcome(parsed.reason);
  return {
    ok: true,
    delivery: {
      envelope: parsed.envelope,
      messageId: parsed.messageId,
      webhookId: parsed.eventId ?? webhookId,
      scheme,
    },
  };
}

function isSecretList(auth: readonly string[] | DeliveryAuth): auth is readonly string[] {
  return Array.isArray(auth);
}
