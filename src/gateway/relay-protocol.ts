/**
 * @module gateway/relay-protocol
 * The relay WebSocket's JSON messages. A relay (the local bridge, or a Node process holding a gRPC
 * stream) pushes inbound events and receives acknowledgements; in local mode the Worker asks it to send.
 *
 * client → server: `{"type":"event","id","envelope"}`, `{"type":"send-result","requestId","ok","error"?}`
 * server → client: `{"type":"ack","id","duplicate"?}`, `{"type":"nack","id","error"}`,
 *                  `{"type":"send","requestId","chatGuid","text","files"?}`
 */
import { parseDelivery } from "../webhook/envelope.ts";
import type { VerifiedDelivery } from "../webhook/receive.ts";

/** A file in a `send` request. */
export interface RelayFile {
  filename: string;
  mimeType: string;
  dataBase64: string;
}

/** Messages the relay sends. */
export type RelayClientMessage =
  | { type: "event"; id: string; envelope: unknown }
  | { type: "send-result"; requestId: string; ok: true }
  | { type: "send-result"; requestId: string; ok: false; error: string };

/** Messages the gateway sends. */
export type RelayServerMessage =
  | { type: "ack"; id: string; duplicate?: true }
  | { type: "nack"; id: string; error: string }
  | { type: "send"; requestId: string; chatGuid: string; text: string; files?: RelayFile[] };

/** What one relay frame asks for. */
export type RelayFrame =
  | { kind: "event"; id: string; delivery: VerifiedDelivery }
  | { kind: "skip"; id: string; reason: string }
  | { kind: "send-result"; requestId: string; ok: boolean; error?: string }
  | { kind: "invalid"; id: string; error: string };

const encoder = new TextEncoder();

/** The webhook id recorded with a relayed event, for tracing (the ledger key is the message id: `deliveryKeyOf`). */
export function relayDeliveryId(eventId: string): string {
  return `relay:${eventId}`;
}

/**
 * Interprets one frame from the relay. Envelopes are checked exactly like webhook bodies.
 *
 * @example
 * ```ts
 * const frame = parseRelayFrame(message);
 * if (frame.kind === "invalid") ws.send(JSON.stringify({ type: "nack", id: frame.id, error: frame.error }));
 * ```
 */
export function parseRelayFrame(data: string | ArrayBuffer): RelayFrame {
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    json = parsed as Record<string, unknown>;
  } catch {
    return { kind: "invalid", id: "", error: "frame is not a JSON object" };
  }
  if (json.type === "send-result" && typeof json.requestId === "string") {
    return { kind: "send-result", requestId: json.requestId, ok: json.ok === true, error: typeof json.error === "string" ? json.error : undefined };
  }
  const id = typeof json.id === "string" ? json.id : "";
  if (json.type !== "event") return { kind: "invalid", id, error: `unknown frame type "${String(json.type)}": send {"type":"event","id","envelope"}` };
  if (!id) return { kind: "invalid", id, error: "event frames need a non-empty string id (unique per event, reused on retry)" };
  const parsed = parseDelivery(encoder.encode(JSON.stringify(json.envelope ?? null)));
  if (parsed.kind === "invalid") return { kind: "invalid", id, error: parsed.error };
  if (parsed.kind === "ignored") return { kind: "skip", id, reason: parsed.reason };
  return {
    kind: "event",
    id,
    delivery: { envelope: parsed.envelope, messageId: parsed.messageId, webhookId: relayDeliveryId(id), scheme: "spectrum", channel: "relay" },
  };
}
