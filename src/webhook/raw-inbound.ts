/**
 * @module webhook/raw-inbound
 * `raw-inbound.v1` webhook deliveries: the relayed provider request inside a Standard Webhooks
 * `message.received` wrapper. For iMessage that request carries one protobuf `CatchUpEventsResponse`
 * frame (`application/x-protobuf`, `x-fusor-source: spectrum-imessage`, transform versions 1–3; or
 * `fusor-fanin-imessage` version 4 for dedicated lines). This module decodes the frame with
 * `decodeCatchUpEvent` and maps message events to the slim envelope the `normalized-events.v1` schema
 * carries, through the catch-up mapper (`envelopeOf`), so both schemas name a message by the same id.
 *
 * Ids: the frame already carries Spectrum's virtual ids (`message.guid` = `spc-msg-…`, attachments
 * `spc-att-…`); spectrum-ts's own raw-inbound handler builds the normalized message with
 * `id = event.message.guid`, group parts `p:<n>/<guid>`. Reaction events (dedicated lines only) get
 * spectrum-ts's stream id `<target guid>:reaction:<sequence>[:<part>]`.
 */
import { decodeCatchUpEvent, type CatchUpEvent, type Message as ServerMessage, type MessageEvent } from "@photon-ai/advanced-imessage/http";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { base64ToBytes } from "../core/bytes.ts";
import { slimEnvelope } from "../core/slim-envelope.ts";
import { wireEmojiOf, type TapbackKind } from "../core/tapbacks.ts";
import { envelopeOf } from "./server-envelope.ts";

/** The `request` object of a `raw-inbound.v1` wrapper (unknown fields are ignored). */
export interface RawInboundRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string | readonly string[] | undefined>;
  bodyEncoding?: string;
  body?: unknown;
  rawBodyBase64?: string;
}

/** What the caller knows that the frame may not say. */
export interface RawInboundContext {
  /**
   * The receiving line for envelopes (`space.phone`) when the request does not name one (transform
   * versions 1–3 never do: spectrum-ts treats them as the shared line). Default `"shared"`.
   */
  phone?: string;
}

/** Routable envelopes, a skip (answer 200, log the reason) or a malformed frame (answer 400 with `error`). */
export type RawInboundResult =
  | { kind: "messages"; envelopes: SlimEnvelope[] }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; error: string };

const PROTOBUF = "application/x-protobuf";
/** `x-fusor-source` → the transform versions spectrum-ts accepts from it. */
const SOURCES: Readonly<Record<string, readonly string[]>> = {
  "spectrum-imessage": ["1", "2", "3"],
  "fusor-fanin-imessage": ["4"],
};
const TAPBACKS = new Set<string>(["love", "like", "dislike", "laugh", "emphasize", "question"]);
/** `CatchUpEventsResponse` payload fields: message/group/poll/chat changed, complete, heartbeat. */
const PAYLOAD_FIELDS = new Set([10, 11, 12, 13, 20, 99]);
const HEARTBEAT_FIELD = 99;
const SEQUENCE_FIELD = 1;

type ReactionEvent = Extract<MessageEvent, { type: "message.reactionAdded" | "message.reactionRemoved" }>;
type ReceivedEvent = Extract<MessageEvent, { type: "message.received" }>;

/** A relayed provider request in protobuf (`raw-inbound.v1`), told by its fusor source or its content type. */
export function isRawInboundRequest(request: Pick<RawInboundRequest, "headers">): boolean {
  const headers = headersOf(request.headers);
  return headers.has("x-fusor-source") || (headers.get("content-type") ?? "").toLowerCase().includes("protobuf");
}

function headersOf(raw: RawInboundRequest["headers"]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(raw && typeof raw === "object" ? raw : {})) {
    if (value === undefined || value === null) continue;
    // Signed but sender-controlled: a header value may be any JSON value.
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    const key = name.toLowerCase();
    headers.set(key, headers.has(key) ? `${headers.get(key)}, ${text}` : text);
  }
  return headers;
}

/** The frame bytes: `rawBodyBase64`, else a `base64`-encoded `body`. */
function frameBytes(request: RawInboundRequest): Uint8Array | string {
  const encoded = typeof request.rawBodyBase64 === "string" ? request.rawBodyBase64 : request.bodyEncoding === "base64" ? request.body : undefined;
  if (typeof encoded !== "string") return "request.rawBodyBase64 is missing: a raw-inbound.v1 delivery relays the provider body base64-encoded";
  const bytes = base64ToBytes(encoded);
  if (!bytes) return "request.rawBodyBase64 is not valid base64 (RFC 4648)";
  if (bytes.byteLength === 0) return "request.rawBodyBase64 is empty: expected a protobuf CatchUpEventsResponse frame";
  return bytes;
}

/** A varint at `at` as a bigint, or undefined when truncated or longer than 10 bytes. */
function readVarint(bytes: Uint8Array, at: number): { value: bigint; end: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && at + i < bytes.byteLength; i++) {
    const byte = bytes[at + i] as number;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) return { value, end: at + i + 1 };
  }
  return undefined;
}

/**
 * Walks the top-level fields of a frame without decoding them: its exact `sequence` (field 1; the
 * vendor decoder narrows it to a JS number) and which fields it has, or why it is not protobuf.
 */
function scanFrame(bytes: Uint8Array): { sequence: bigint | undefined; fields: Set<number> } | string {
  const fields = new Set<number>();
  let sequence: bigint | undefined;
  let at = 0;
  while (at < bytes.byteLength) {
    const key = readVarint(bytes, at);
    if (!key) return `truncated field key at byte ${at}`;
    const field = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    if (field === 0) return `field number 0 at byte ${at}`;
    at = key.end;
    if (wire === 0) {
      const value = readVarint(bytes, at);
      if (!value) return `truncated varint in field ${field}`;
      if (field === SEQUENCE_FIELD) sequence = value.value;
      at = value.end;
    } else if (wire === 2) {
      const length = readVarint(bytes, at);
      if (!length || length.value > BigInt(bytes.byteLength - length.end)) return `truncated length-delimited field ${field}`;
      at = length.end + Number(length.value);
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > bytes.byteLength) return `truncated fixed-width field ${field}`;
    } else {
      return `unsupported wire type ${wire} in field ${field}`;
    }
    fields.add(field);
  }
  return { sequence, fields };
}

function decodeFrame(bytes: Uint8Array): { event: CatchUpEvent | undefined; sequence: string | undefined; heartbeat: boolean } | string {
  const scan = scanFrame(bytes);
  const notFrame = "request.rawBodyBase64 is not a protobuf CatchUpEventsResponse frame";
  if (typeof scan === "string") return `${notFrame}: ${scan}`;
  if (![...scan.fields].some((field) => PAYLOAD_FIELDS.has(field))) return `${notFrame}: it has no event payload`;
  try {
    const event = decodeCatchUpEvent(bytes);
    return { event, sequence: scan.sequence?.toString(10), heartbeat: scan.fields.has(HEARTBEAT_FIELD) };
  } catch (error) {
    return `${notFrame}: ${(error as Error).message}`;
  }
}

type Content = { type: string; [field: string]: unknown };

/**
 * Spectrum's normalized schema carries group parts as message records `{id, content}` with ids
 * `p:<n>/<guid>`; the catch-up mapper gives bare contents. Wraps them, in a group or a reply's group.
 */
function withPartRecords(content: Content, guid: string): Content {
  if (content.type === "reply" && content.content && typeof content.content === "object") {
    return { ...content, content: withPartRecords(content.content as Content, guid) };
  }
  if (content.type !== "group" || !Array.isArray(content.items)) return content;
  const items = content.items.map((item: unknown, n) => {
    const isRecord = typeof item === "object" && item !== null && "content" in item && !("type" in item);
    return isRecord ? item : { id: `p:${n}/${guid}`, content: item };
  });
  return { ...content, items };
}

function receivedEnvelope(event: ReceivedEvent, phone: string): RawInboundResult {
  const source = event.message;
  if (event.isFromMe || source.isFromMe) return { kind: "ignored", reason: `message ${source.guid} is the line's own outbound message` };
  const chatGuid = event.chatGuid || source.chatGuids[0];
  if (!chatGuid) return { kind: "invalid", error: `message ${source.guid} names no chat (chat_guid is empty)` };
  // The frame's chat comes first; spectrum-ts also treats a thread originator as the reply target.
  const message: ServerMessage = {
    ...source,
    chatGuids: [chatGuid, ...source.chatGuids.filter((guid) => guid !== chatGuid)],
    replyTargetGuid: source.replyTargetGuid ?? source.threadOriginatorGuid,
  };
  const envelope = envelopeOf(message, phone);
  if (!envelope) return { kind: "ignored", reason: `message ${source.guid} has nothing to route (system message, sticker or empty body)` };
  let content = withPartRecords(envelope.message.content as Content, source.guid);
  if (content.type === "reaction" && typeof source.reactionTargetPartIndex === "number") {
    content = { ...content, target: { ...(content.target as object), partIndex: source.reactionTargetPartIndex } };
  }
  return { kind: "messages", envelopes: [{ ...envelope, message: { ...envelope.message, content } }] };
}

function reactionEnvelope(event: ReactionEvent, phone: string, sequence: string): RawInboundResult {
  const { kind, emoji } = event.reaction;
  const wire = TAPBACKS.has(kind) ? wireEmojiOf(kind as TapbackKind) : kind === "emoji" ? emoji : undefined;
  const sender = event.actor?.address;
  if (event.isFromMe || (sender !== undefined && sender === phone)) return { kind: "ignored", reason: `${event.type} on ${event.messageGuid} is the line's own` };
  if (!wire) return { kind: "ignored", reason: `${event.type} of kind "${kind}" has no emoji to route` };
  if (!sender) return { kind: "ignored", reason: `${event.type} on ${event.messageGuid} names no sender` };
  if (!event.chatGuid) return { kind: "invalid", error: `${event.type} on ${event.messageGuid} names no chat (chat_guid is empty)` };
  const part = typeof event.targetPartIndex === "number" ? `:${event.targetPartIndex}` : "";
  const removed = event.type === "message.reactionRemoved";
  const target = { id: event.messageGuid, ...(part ? { partIndex: event.targetPartIndex } : {}) };
  return {
    kind: "messages",
    envelopes: [
      slimEnvelope({
        // spectrum-ts's stream id for an added reaction; removals have no normalized counterpart.
        guid: `${event.messageGuid}:${removed ? "reaction-removed" : "reaction"}:${sequence}${part}`,
        chatGuid: event.chatGuid,
        phone,
        sender,
        date: event.occurredAt,
        content: { type: "reaction", emoji: wire, target, removed },
      }),
    ],
  };
}

function envelopesOfEvent(event: CatchUpEvent, phone: string, sequence: string): RawInboundResult {
  switch (event.type) {
    case "message.received":
      return receivedEnvelope(event, phone);
    case "message.reactionAdded":
    case "message.reactionRemoved":
      return reactionEnvelope(event, phone, sequence);
    case "catchup.complete":
      return { kind: "ignored", reason: "catch-up completion marker carries no message" };
    default:
      return { kind: "ignored", reason: `iMessage event "${event.type}" is not routed (only received messages and reactions are)` };
  }
}

/**
 * The slim envelopes in the `request` of a `raw-inbound.v1` delivery (`wrapper.request`, after the
 * wrapper's signature has been verified). Not an iMessage relay, an unsupported transform version, a
 * non-message event or an outbound echo → `ignored` (answer 200); undecodable bytes or a frame whose
 * sequence contradicts its `x-fusor-imessage-log-id` → `invalid` (answer 400 with `error`).
 * A frame holds one event, so `envelopes` has one element; its `message.id` is the ledger key.
 *
 * @example
 * ```ts
 * const result = envelopesOfRawInbound(wrapper.request, { phone: "shared" });
 * if (result.kind === "messages") for (const envelope of result.envelopes) route(envelope, envelope.message.id);
 * ```
 */
export function envelopesOfRawInbound(request: RawInboundRequest, context: RawInboundContext = {}): RawInboundResult {
  const headers = headersOf(request.headers);
  const source = headers.get("x-fusor-source");
  const versions = source === undefined ? undefined : SOURCES[source];
  if (!versions) return { kind: "ignored", reason: `relayed request is not an iMessage event (x-fusor-source: ${source ?? "absent"})` };
  const version = headers.get("x-fusor-imessage-transform-version") ?? "";
  if (!versions.includes(version)) {
    return { kind: "ignored", reason: `iMessage transform version "${version}" from ${source} is not supported (expected ${versions.join(", ")})` };
  }
  const contentType = (headers.get("content-type") ?? PROTOBUF).split(";", 1)[0]?.trim().toLowerCase();
  if (contentType !== PROTOBUF) return { kind: "ignored", reason: `relayed iMessage request has content type "${contentType}", not ${PROTOBUF}` };

  const bytes = frameBytes(request);
  if (typeof bytes === "string") return { kind: "invalid", error: bytes };
  const frame = decodeFrame(bytes);
  if (typeof frame === "string") return { kind: "invalid", error: frame };
  if (!frame.event) {
    return { kind: "ignored", reason: frame.heartbeat ? "heartbeat frame" : "frame carries no event this SDK version recognizes" };
  }
  const logId = headers.get("x-fusor-imessage-log-id") ?? headers.get("x-fusor-imessage-source-sequence");
  const sequence = frame.sequence ?? String(frame.event.type === "catchup.complete" ? frame.event.headSequence : frame.event.sequence);
  if (logId !== undefined && logId !== sequence) {
    return { kind: "invalid", error: `frame sequence ${sequence} does not match its log id header (${logId})` };
  }
  const phone = headers.get("x-fusor-imessage-phone") || context.phone || "shared";
  return envelopesOfEvent(frame.event, phone, sequence);
}
