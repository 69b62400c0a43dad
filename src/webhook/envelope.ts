/**
 * @module webhook/envelope
 * Parses a verified delivery body into a Spectrum message envelope, or says why it is skipped or invalid.
 */
import { slimEnvelopeSchema, type SlimEnvelope } from "@spectrum-ts/core/webhook";

/** A parsed delivery: routable, skipped (acknowledged 200), or invalid (400). */
export type ParsedDelivery =
  | { kind: "message"; envelope: SlimEnvelope; messageId: string; eventId: string | undefined }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; error: string };

const decoder = new TextDecoder();

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}

/** Platform of an envelope: the message's own, else its space's. */
export function envelopePlatform(envelope: SlimEnvelope): string | undefined {
  return envelope.message.platform ?? envelope.message.space.platform ?? envelope.space?.platform;
}

function parseNative(json: Record<string, unknown>, eventId: string | undefined): ParsedDelivery {
  if (typeof json.event === "string" && json.event !== "messages") {
    return { kind: "ignored", reason: `event "${json.event}" is not handled` };
  }
  const parsed = slimEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    return { kind: "invalid", error: `not a Spectrum message envelope: ${describeIssues(parsed.error)}` };
  }
  const envelope = parsed.data;
  const platform = envelopePlatform(envelope);
  if (platform !== undefined && platform !== "imessage") {
    return { kind: "ignored", reason: `platform "${platform}" is not served by this adapter` };
  }
  return { kind: "message", envelope, messageId: envelope.message.id, eventId };
}

/** Standard Webhooks payloads wrap a relayed provider request; route it when it carries a Spectrum envelope. */
function parseStandard(json: Record<string, unknown>): ParsedDelivery {
  const eventId = typeof json.eventId === "string" ? json.eventId : undefined;
  if (json.type !== "message.received") {
    return { kind: "ignored", reason: `event type "${String(json.type)}" is not handled` };
  }
  if (typeof json.platform === "string" && json.platform !== "imessage") {
    return { kind: "ignored", reason: `platform "${json.platform}" is not served by this adapter` };
  }
  const request = json.request as { body?: unknown; rawBodyBase64?: unknown } | undefined;
  let inner: unknown = request?.body;
  if (typeof inner === "string") inner = safeJson(inner);
  if ((inner === undefined || inner === null) && typeof request?.rawBodyBase64 === "string") {
    inner = safeJson(decoder.decode(Uint8Array.from(atob(request.rawBodyBase64), (c) => c.charCodeAt(0))));
  }
  if (inner && typeof inner === "object" && "message" in inner) {
    return parseNative(inner as Record<string, unknown>, eventId);
  }
  return { kind: "ignored", reason: "relayed provider request carries no Spectrum message envelope" };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses the verified raw body of a delivery.
 *
 * @example
 * ```ts
 * const parsed = parseDelivery(bytes);
 * if (parsed.kind === "invalid") return new Response(parsed.error, { status: 400 });
 * ```
 */
export function parseDelivery(rawBody: Uint8Array): ParsedDelivery {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(rawBody));
  } catch (error) {
    return { kind: "invalid", error: `body is not valid JSON: ${(error as Error).message}` };
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return { kind: "invalid", error: "body must be a JSON object (a Spectrum envelope)" };
  }
  const object = json as Record<string, unknown>;
  if ("schemaVersion" in object && "request" in object) return parseStandard(object);
  if (typeof object.event !== "string") {
    return { kind: "invalid", error: 'envelope has no "event" field: expected {"event":"messages","message":{…}}' };
  }
  return parseNative(object, undefined);
}
