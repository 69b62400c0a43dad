/**
 * @module gateway/relay-protocol
 * The relay WebSocket's JSON messages (schemas in `./relay-schema.ts`). A relay (the local bridge, or a Node process holding a gRPC
 * stream) pushes inbound events and receives acknowledgements; in local mode the Worker asks it to send.
 *
 * client → server: `{"type":"event","id","envelope"}`, `{"type":"send-result","requestId","ok","error"?}`
 * server → client: `{"type":"ack","id","duplicate"?}`, `{"type":"nack","id","error"}`,
 *                  `{"type":"send","requestId","chatGuid","text","files"?}`
 */
import { parseDelivery } from "../webhook/envelope.ts";
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { RelayClientMessageSchema, relayIssues } from "./relay-schema.ts";

export type { RelayClientMessage, RelayFile, RelayServerMessage } from "./relay-schema.ts";

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
  let json: unknown;
  try {
    json = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
  } catch {
    return { kind: "invalid", id: "", error: "frame is not a JSON object" };
  }
  const result = RelayClientMessageSchema.safeParse(json);
  if (!result.success) {
    const id = (json as { id?: unknown } | null)?.id;
    return { kind: "invalid", id: typeof id === "string" ? id : "", error: relayIssues(result.error) };
  }
  const frame = result.data;
  if (frame.type === "send-result") return { kind: "send-result", requestId: frame.requestId, ok: frame.ok, error: frame.error };
  const parsed = parseDelivery(encoder.encode(JSON.stringify(frame.envelope ?? null)));
  if (parsed.kind === "invalid") return { kind: "invalid", id: frame.id, error: parsed.error };
  if (parsed.kind === "ignored") return { kind: "skip", id: frame.id, reason: parsed.reason };
  return {
    kind: "event",
    id: frame.id,
    delivery: { envelope: parsed.envelope, messageId: parsed.messageId, webhookId: relayDeliveryId(frame.id), scheme: "spectrum", channel: "relay" },
  };
}
