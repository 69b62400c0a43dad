/**
 * @module core/forwarder
 * Deliveries from a trusted forwarder (e.g. Vercel Connect trigger forwarding): a `webhookVerifier`
 * decides instead of the Spectrum signature, with the reference adapter's semantics.
 */

/**
 * Verifies an inbound delivery that a trusted forwarding service authenticated. It receives the request
 * (its body already read) and the raw body as text. A thrown error or a falsy result rejects the delivery
 * (401); a returned string replaces the body that is parsed; any other truthy value accepts the raw body.
 * When given, it replaces the signature check (`webhookSecret` is then not used), as in
 * `@photon-ai/chat-adapter-imessage`.
 *
 * @example
 * ```ts
 * const webhookVerifier: iMessageWebhookVerifier = (request) => request.headers.get("x-forwarder-token") === env.FORWARDER_TOKEN;
 * ```
 */
export type iMessageWebhookVerifier = (request: Request, rawBody: string) => unknown | Promise<unknown>;

/** Outcome of {@link runWebhookVerifier}: the bytes to parse, or a 401 that says why. */
export type ForwarderOutcome = { ok: true; body: Uint8Array } | { ok: false; status: 401; error: string; cause?: unknown };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Runs a `webhookVerifier` over a delivery; whatever it throws or returns falsy is a 401, never a 5xx
 * (the sender controls what it verifies). A thrown error comes back as `cause`, for the log only.
 *
 * @example
 * ```ts
 * const outcome = await runWebhookVerifier(verifier, request, bytes);
 * if (!outcome.ok) return Response.json({ error: outcome.error }, { status: outcome.status });
 * ```
 */
export async function runWebhookVerifier(
  verifier: iMessageWebhookVerifier,
  request: Request,
  rawBody: Uint8Array,
): Promise<ForwarderOutcome> {
  let result: unknown;
  try {
    result = await verifier(request, decoder.decode(rawBody));
  } catch (cause) {
    // What the verifier threw is logged, not told to the sender.
    return { ok: false, status: 401, error: "webhook verification failed: the webhookVerifier threw", cause };
  }
  if (!result) return { ok: false, status: 401, error: "webhook verification failed: the webhookVerifier rejected the delivery" };
  return { ok: true, body: typeof result === "string" ? encoder.encode(result) : rawBody };
}
