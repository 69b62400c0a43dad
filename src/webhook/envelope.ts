/**
 * @module webhook/envelope
 * Parses a verified delivery body into a Spectrum message envelope, or says why it is skipped or invalid.
 */
import { slimEnvelopeSchema, type SlimEnvelope } from "@spectrum-ts/core/webhook";
import { base64ToBytes } from "../core/bytes.ts";
import { envelopesOfRawInbound, isRawInboundRequest, type RawInboundRequest } from "./raw-inbound.ts";

/** A parsed delivery: routable, skipped (acknowledged 200), or invalid (400). */
export type ParsedDelivery =
  | { kind: "message"; envelope: SlimEnvelope; messageId: string; eventId: string | undefined }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; error: string };

const decoder = new TextDecoder();

/** Deepest JSON nesting accepted (a real envelope is under 10 levels); deeper bodies are refused at the gate. */
export const MAX_ENVELOPE_DEPTH = 32;
/** Longest message id accepted; longer ids are refused (real iMessage GUIDs are under 100 characters). */
export const MAX_MESSAGE_ID_LENGTH = 1024;

/** Depth of a parsed JSON value, walked without recursion (so a hostile body cannot overflow the stack). */
function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (!node || typeof node !== "object") continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node as Record<string, unknown>)) {
      if (child && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

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
  const messageId = envelope.message.id;
  if (typeof messageId !== "string" || messageId.length === 0 || messageId.length > MAX_MESSAGE_ID_LENGTH) {
    return { kind: "invalid", error: `message.id must be a non-empty string of at most ${MAX_MESSAGE_ID_LENGTH} characters` };
  }
  if (typeof envelope.message.space?.id !== "string" || envelope.message.space.id.length > MAX_MESSAGE_ID_LENGTH) {
    return { kind: "invalid", error: `message.space.id must be a chat GUID string of at most ${MAX_MESSAGE_ID_LENGTH} characters` };
  }
  // Not messages: the bot's own sends echoed back, and delivery receipts of them. Every other content —
  // a type this version does not know included — goes on to the ledger and the bot (never dropped here).
  if (envelope.message.direction === "outbound") {
    return { kind: "ignored", reason: "outbound echo of a message sent from the project's line (not a message to the bot)" };
  }
  if (envelope.message.content.type === "delivered") {
    return { kind: "ignored", reason: "delivery receipt (not a message to the bot)" };
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
  const request = json.request as (RawInboundRequest & { rawBodyBase64?: unknown }) | undefined;
  if (request && isRawInboundRequest(request)) {
    // raw-inbound.v1: the relayed provider request, for iMessage a protobuf CatchUpEvent frame.
    const decoded = envelopesOfRawInbound(request as RawInboundRequest);
    if (decoded.kind !== "messages") return decoded.kind === "invalid" ? { kind: "invalid", error: decoded.error } : decoded;
    const [envelope] = decoded.envelopes;
    if (!envelope) return { kind: "ignored", reason: "raw-inbound frame carries no message" };
    return parseNative(envelope as unknown as Record<string, unknown>, eventId);
  }
  let inner: unknown = request?.body;
  if (typeof inner === "string") inner = safeJson(inner);
  if ((inner === undefined || inner === null) && request?.rawBodyBase64 !== undefined) {
    const bytes = typeof request.rawBodyBase64 === "string" ? base64ToBytes(request.rawBodyBase64) : undefined;
    if (!bytes) return { kind: "invalid", error: "request.rawBodyBase64 is not valid base64: send the relayed body base64-encoded (RFC 4648)" };
    inner = safeJson(decoder.decode(bytes));
  }
  if (inner && typeof inner === "object" && depthOf(inner, MAX_ENVELOPE_DEPTH) > MAX_ENVELOPE_DEPTH) {
    return { kind: "invalid", error: `relayed body is nested deeper than ${MAX_ENVELOPE_DEPTH} levels; Spectrum envelopes are far shallower` };
  }
  if (inner && typeof inner === "object" && "message" in inner) {
    return parseNative(inner as Record<string, unknown>, eventId);
  }
  return {
    kind: "invalid",
    error: "message.received request carries neither a Spectrum message envelope (JSON) nor an iMessage CatchUpEvent frame (application/x-protobuf): check the webhook's schemaVersion",
  };
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
  if (depthOf(json, MAX_ENVELOPE_DEPTH) > MAX_ENVELOPE_DEPTH) {
    return { kind: "invalid", error: `body is nested deeper than ${MAX_ENVELOPE_DEPTH} levels; Spectrum envelopes are far shallower` };
  }
  const object = json as Record<string, unknown>;
  if ("schemaVersion" in object && "request" in object) return parseStandard(object);
  if (typeof object.event !== "string") {
    return { kind: "invalid", error: 'envelope has no "event" field: expected {"event":"messages","message":{…}}' };
  }
  return parseNative(object, undefined);
}
