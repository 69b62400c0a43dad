/**
 * @module `raw-inbound.v1` webhook bodies: a Standard Webhooks `message.received` wrapper relaying the
 * iMessage provider request, a protobuf `CatchUpEventsResponse` frame (web APIs only; Node and workerd).
 *
 * `@photon-ai/advanced-imessage` exports a decoder (`decodeCatchUpEvent`) but no encoder, so this
 * writes the few fields of `proto/photon/imessage/v1/{event_service,message_types,chat_types,…}.proto`
 * a test needs; the tests round-trip every frame through the vendor decoder.
 */

/** An attachment of an inbound message (`AttachmentInfo`). */
export interface RawAttachment {
  guid: string;
  fileName: string;
  mimeType: string;
  totalBytes: number;
  uti?: string;
}

/** A tapback carried by a message row (`Message.reaction*`). */
export interface RawTapback {
  /** love, like, dislike, laugh, emphasize, question, emoji or sticker. */
  kind: string;
  /** For `kind: "emoji"`. */
  emoji?: string;
  targetGuid: string;
  partIndex?: number;
  /** `reaction_selected: false` = the tapback was taken back. */
  removed?: boolean;
}

/** An inbound message (`Message`), with the fields the adapter reads. */
export interface RawMessage {
  /** Defaults to `spc-msg-<uuid>` (Spectrum's virtual message id). */
  guid?: string;
  chatGuid: string;
  sender: string;
  text?: string;
  attachments?: RawAttachment[];
  /** Defaults to now. */
  date?: Date | string;
  isFromMe?: boolean;
  isSystemMessage?: boolean;
  replyTargetGuid?: string;
  threadOriginatorGuid?: string;
  tapback?: RawTapback;
  destinationCallerId?: string;
}

/** One event of a frame. */
export type RawEvent =
  | { kind: "message"; message: RawMessage }
  | { kind: "reaction"; removed?: boolean; chatGuid: string; actor: string; messageGuid: string; reaction: string; emoji?: string; partIndex?: number; date?: Date | string; isFromMe?: boolean }
  | { kind: "read"; chatGuid: string; actor?: string; messageGuid: string; date?: Date | string }
  | { kind: "markedRead"; chatGuid: string; date?: Date | string }
  | { kind: "heartbeat" };

const REACTION_KINDS = ["love", "like", "dislike", "laugh", "emphasize", "question", "emoji", "sticker"];
const SERVICE_IMESSAGE = 1;
const TRANSFER_FINISHED = 5;
const encoder = new TextEncoder();

/** A protobuf message under construction: fields appended in order (proto3 wire format). */
class Writer {
  private readonly chunks: number[] = [];

  private varint(value: number | bigint): void {
    let rest = BigInt(value);
    if (rest < 0n) rest += 1n << 64n;
    do {
      const low = Number(rest & 0x7fn);
      rest >>= 7n;
      this.chunks.push(rest > 0n ? low | 0x80 : low);
    } while (rest > 0n);
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  uint(field: number, value: number | bigint | undefined): this {
    if (value === undefined) return this;
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    return value ? this.uint(field, 1) : this;
  }

  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    this.key(field, 2);
    this.varint(value.byteLength);
    this.chunks.push(...value);
    return this;
  }

  string(field: number, value: string | undefined): this {
    return value === undefined ? this : this.bytes(field, encoder.encode(value));
  }

  message(field: number, value: Writer | undefined): this {
    return value === undefined ? this : this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function timestamp(date: Date | string | undefined): Writer {
  const ms = date === undefined ? Date.now() : new Date(date).getTime();
  return new Writer().uint(1, Math.floor(ms / 1000)).uint(2, (ms % 1000) * 1_000_000);
}

function address(value: string | undefined): Writer | undefined {
  return value === undefined ? undefined : new Writer().string(1, value).uint(2, SERVICE_IMESSAGE);
}

function reactionKind(kind: string): number {
  const index = REACTION_KINDS.indexOf(kind);
  if (index < 0) throw new Error(`unknown reaction kind "${kind}": use ${REACTION_KINDS.join(", ")}`);
  return index;
}

function reaction(kind: string, emoji: string | undefined): Writer {
  return new Writer().uint(1, reactionKind(kind)).string(2, emoji);
}

function attachment(info: RawAttachment): Writer {
  return new Writer()
    .string(1, info.guid)
    .string(3, info.fileName)
    .string(4, info.mimeType)
    .string(5, info.uti ?? "public.data")
    .uint(6, info.totalBytes)
    .uint(8, TRANSFER_FINISHED);
}

function messageRecord(message: RawMessage, guid: string): Writer {
  const content = new Writer().string(1, message.text);
  for (const info of message.attachments ?? []) content.message(2, attachment(info));
  const record = new Writer()
    .string(1, guid)
    .message(2, content)
    .message(10, timestamp(message.date))
    .message(20, address(message.isFromMe ? undefined : message.sender))
    .bool(21, message.isFromMe)
    .bool(42, message.isSystemMessage)
    .string(71, message.threadOriginatorGuid)
    .string(74, message.replyTargetGuid)
    .string(75, message.destinationCallerId);
  const tapback = message.tapback;
  if (tapback) {
    record
      .string(80, tapback.targetGuid)
      .uint(81, tapback.partIndex)
      .message(82, reaction(tapback.kind, tapback.emoji))
      .uint(83, tapback.removed ? 0 : 1);
  }
  return record.string(92, message.chatGuid);
}

/** The `MessageChangeEvent` / `ChatChangeEvent` (field number in the frame, body) of an event. */
function payload(event: RawEvent): [number, Writer] {
  switch (event.kind) {
    case "message": {
      const m = event.message;
      const guid = m.guid ?? `spc-msg-${crypto.randomUUID()}`;
      const change = new Writer().message(1, messageRecord(m, guid));
      return [10, context(m.chatGuid, m.date, m.isFromMe ? undefined : m.sender, m.isFromMe).message(10, change)];
    }
    case "reaction": {
      const change = new Writer().string(1, event.messageGuid).uint(2, event.partIndex).message(3, reaction(event.reaction, event.emoji));
      return [10, context(event.chatGuid, event.date, event.actor, event.isFromMe).message(event.removed ? 15 : 14, change)];
    }
    case "read": {
      const change = new Writer().string(1, event.messageGuid).message(2, timestamp(event.date));
      return [10, context(event.chatGuid, event.date, event.actor, false).message(12, change)];
    }
    case "markedRead":
      return [13, context(event.chatGuid, event.date, undefined, false).message(12, new Writer())];
    case "heartbeat":
      return [99, new Writer()];
  }
}

function context(chatGuid: string, date: Date | string | undefined, actor: string | undefined, isFromMe: boolean | undefined): Writer {
  return new Writer().string(1, chatGuid).message(2, timestamp(date)).message(3, address(actor)).bool(4, isFromMe);
}

/**
 * One `CatchUpEventsResponse` frame: `sequence` (field 1) and the event payload.
 *
 * @example
 * const bytes = encodeCatchUpEvent({ kind: "message", message: { chatGuid: "any;-;+1555…", sender: "+1555…", text: "hi" } }, 42);
 */
export function encodeCatchUpEvent(event: RawEvent, sequence: number | bigint): Uint8Array {
  const [field, body] = payload(event);
  return new Writer().uint(1, event.kind === "heartbeat" ? undefined : sequence).message(field, body).finish();
}

/** Standard base64 of bytes (what `request.rawBodyBase64` holds). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Options of {@link rawInboundWrapper}. */
export interface RawInboundOptions {
  /** Source log sequence; default a time-based positive integer. */
  sequence?: number;
  /** `x-fusor-imessage-transform-version`, default `"3"`. */
  transformVersion?: string;
  /** Default `spectrum-imessage`. */
  source?: string;
  instanceId?: string;
  eventId?: string;
  projectId?: string;
  /** Replaces the frame bytes (e.g. garbage for a 400 test). */
  rawBody?: Uint8Array;
  /** Extra or overriding relayed headers. */
  headers?: Record<string, string>;
}

/** A `raw-inbound.v1` wrapper object. */
export interface RawInboundWrapper {
  type: "message.received";
  schemaVersion: 1;
  eventId: string;
  platform: string;
  projectId: string;
  prevSubjectSeq: number;
  receivedAt: string;
  request: { method: string; path: string; headers: Record<string, string>; bodyEncoding: "base64"; body: string; rawBodyBase64: string };
}

/**
 * The wrapper Spectrum posts for one iMessage event when the webhook's schema is `raw-inbound.v1`.
 * Serialize it (`JSON.stringify`) and sign it with the Standard Webhooks scheme to deliver it.
 *
 * @example
 * const wrapper = rawInboundWrapper({ kind: "message", message: { guid: "spc-msg-1", chatGuid: "any;-;+15551234567", sender: "+15551234567", text: "hi" } });
 */
export function rawInboundWrapper(event: RawEvent, options: RawInboundOptions = {}): RawInboundWrapper {
  const sequence = options.sequence ?? Date.now();
  const encoded = toBase64(options.rawBody ?? encodeCatchUpEvent(event, sequence));
  const eventType = event.kind === "message" || event.kind === "read" ? "messageChanged" : event.kind === "reaction" ? "reactionAdded" : "chatChanged";
  return {
    type: "message.received",
    schemaVersion: 1,
    eventId: options.eventId ?? `evt_${crypto.randomUUID()}`,
    platform: "imessage",
    projectId: options.projectId ?? "proj_test",
    prevSubjectSeq: Math.max(0, sequence - 1),
    receivedAt: new Date().toISOString(),
    request: {
      method: "POST",
      path: `/imessage/events/${eventType}`,
      headers: {
        "content-type": "application/x-protobuf",
        "x-fusor-source": options.source ?? "spectrum-imessage",
        "x-fusor-imessage-event-type": eventType,
        "x-fusor-imessage-transform-version": options.transformVersion ?? "3",
        "x-fusor-imessage-instance-id": options.instanceId ?? "sim-instance-1",
        "x-fusor-imessage-log-id": String(sequence),
        ...options.headers,
      },
      bodyEncoding: "base64",
      body: encoded,
      rawBodyBase64: encoded,
    },
  };
}

type EnvelopeContent = { type: string; [field: string]: unknown };

/**
 * The `raw-inbound.v1` event of a normalized envelope's message, for a webhook switched to that schema:
 * text, attachments, a group of them (records or bare contents) and a reply; undefined for content a
 * CatchUpEvent cannot carry in this simulator (reactions, receipts, events).
 *
 * @example
 * const event = rawEventOfEnvelope(JSON.parse(fixture("dm-text")));
 */
export function rawEventOfEnvelope(envelope: { message?: { id: string; sender?: { id: string }; space: { id: string }; timestamp?: string; content: EnvelopeContent } }): RawEvent | undefined {
  const message = envelope.message;
  if (!message) return undefined;
  const texts: string[] = [];
  const attachments: RawAttachment[] = [];
  let replyTargetGuid: string | undefined;
  const visit = (content: unknown): boolean => {
    if (!content || typeof content !== "object") return false;
    const c = content as EnvelopeContent;
    if (typeof c.type !== "string" && c.content) return visit(c.content);
    switch (c.type) {
      case "text":
        texts.push(String(c.text ?? ""));
        return true;
      case "attachment":
        attachments.push({ guid: String(c.id), fileName: String(c.name ?? "attachment"), mimeType: String(c.mimeType ?? "application/octet-stream"), totalBytes: Number(c.size ?? 0) });
        return true;
      case "group":
        return Array.isArray(c.items) && c.items.every(visit);
      case "reply":
        replyTargetGuid = String((c.target as { id?: string } | undefined)?.id ?? "");
        return visit(c.content);
      default:
        return false;
    }
  };
  if (!visit(message.content)) return undefined;
  return {
    kind: "message",
    message: {
      guid: message.id,
      chatGuid: message.space.id,
      sender: message.sender?.id ?? "unknown",
      ...(texts.length > 0 ? { text: texts.join("\n") } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(message.timestamp ? { date: message.timestamp } : {}),
      ...(replyTargetGuid ? { replyTargetGuid } : {}),
    },
  };
}
