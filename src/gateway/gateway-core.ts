/**
 * @module gateway/gateway-core
 * What the gateway Durable Object does, apart from its storage and sockets: keep the cloud token
 * fresh, catch up on missed messages over HTTP, and route relayed events through the adapter.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { Logger, WebhookOptions } from "chat";
import type { ResolvedConfig } from "../core/config.ts";
import { encodeThreadId } from "../core/thread-id.ts";
import type { Transport } from "../transport/clients.ts";
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { catchUpDelivery, envelopeOf, readSince, startCursor, type CatchUpCursor } from "./catch-up.ts";
import type { RelayFrame, RelayServerMessage } from "./relay-protocol.ts";
import type { SpectrumSource } from "./spectrum-source.ts";

/**
 * What the gateway needs of the adapter it routes into (the iMessage adapter satisfies it): its config
 * and transport, the ledger entry point every channel shares, and attachment bytes.
 */
export interface CatchUpTarget {
  readonly logger: Logger;
  readonly config: ResolvedConfig;
  remoteTransport(): Transport | undefined;
  acceptDelivery(delivery: VerifiedDelivery, options?: WebhookOptions): Promise<Response>;
  downloadAttachment(attachmentId: string, threadId: string): Promise<ArrayBuffer>;
}

/** Persisted catch-up cursors, one per phone line. */
export interface CursorStore {
  get(line: string): Promise<CatchUpCursor | undefined>;
  put(line: string, cursor: CatchUpCursor): Promise<void>;
}

/** What one keepalive did. */
export interface KeepaliveReport {
  /** Lines whose token is fresh (cloud grants are refreshed shortly before expiry). */
  lines: string[];
  /** Messages found by the catch-up poll and handed to the adapter (0 when catch-up is off). */
  caughtUp: number;
  catchUp: boolean;
  /** Why nothing ran: the adapter could not be built from the Worker's settings (what to set). */
  notConfigured?: string;
}

/** True when the ledger took the delivery for the first time (not a copy of one already recorded). */
async function firstDelivery(response: Response): Promise<boolean> {
  const body = (await response.json()) as { status?: string };
  return response.ok && body.status === "accepted";
}

/** A caught-up message as an envelope; one that cannot be turned into one is logged and skipped (it must not stall the cursor). */
function envelopeFor(message: Parameters<typeof envelopeOf>[0], phone: string, adapter: CatchUpTarget): SlimEnvelope | undefined {
  try {
    return envelopeOf(message, phone);
  } catch (error) {
    adapter.logger.error("A caught-up message could not be read and is skipped", {
      guid: String(message?.guid).slice(0, 200),
      error: (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500),
    });
    return undefined;
  }
}

/**
 * Refreshes tokens and, when `catchUp` is on, feeds messages created since each line's cursor
 * through `acceptDelivery` (the same ledger key as their webhook: the message id), then advances the
 * cursor — only after every message read was recorded, so a failure mid-way re-reads them next time.
 * `onEnvelope` sees each caught-up envelope the adapter routed for the first time.
 *
 * @example
 * ```ts
 * const report = await keepalive(await readyAdapter(bot), cursors, { catchUp: true });
 * ```
 */
export async function keepalive(
  adapter: CatchUpTarget,
  cursors: CursorStore,
  options: { catchUp: boolean; onEnvelope?: (envelope: SlimEnvelope) => Promise<void>; signal?: AbortSignal },
): Promise<KeepaliveReport> {
  const transport = adapter.remoteTransport();
  if (!transport) return { lines: [], caughtUp: 0, catchUp: false };
  const lines = await transport.lines();
  let caughtUp = 0;
  if (options.catchUp) {
    for (const { phone, client } of lines) {
      const stored = await cursors.get(phone);
      if (!stored) {
        await cursors.put(phone, startCursor());
        continue;
      }
      const { messages, cursor } = await readSince(client, stored);
      for (const message of messages) {
        // Stopped mid-page: keep the cursor where it was; what was handed on is deduped next time.
        if (options.signal?.aborted) return { lines: lines.map((l) => l.phone), caughtUp, catchUp: true };
        const envelope = envelopeFor(message, phone, adapter);
        if (!envelope) continue;
        const response = await adapter.acceptDelivery(catchUpDelivery(envelope));
        caughtUp++;
        if (options.onEnvelope && (await firstDelivery(response))) await options.onEnvelope(envelope);
      }
      await cursors.put(phone, cursor);
    }
  }
  return { lines: lines.map((l) => l.phone), caughtUp, catchUp: options.catchUp };
}

/**
 * Handles one relay frame and returns the reply to send (none for a send-result). An `ack` means
 * the event is recorded in the ledger (which runs it to completion, like a webhook after its 200);
 * a failure to record it gets no reply, so the relay retries it.
 *
 * @example
 * ```ts
 * const reply = await handleRelayFrame(() => readyAdapter(bot), parseRelayFrame(message));
 * if (reply) ws.send(JSON.stringify(reply));
 * ```
 */
export async function handleRelayFrame(target: () => Promise<CatchUpTarget>, frame: RelayFrame): Promise<RelayServerMessage | undefined> {
  switch (frame.kind) {
    case "invalid":
      return { type: "nack", id: frame.id, error: frame.error };
    case "skip":
      return { type: "ack", id: frame.id };
    case "send-result":
      return undefined;
    case "event": {
      const adapter = await target();
      const tasks: Promise<unknown>[] = [];
      const response = await adapter.acceptDelivery(frame.delivery, { waitUntil: (task) => void tasks.push(task) });
      await Promise.allSettled(tasks);
      const body = (await response.json()) as { status?: string };
      if (!response.ok) return undefined;
      return body.status === "accepted" ? { type: "ack", id: frame.id } : { type: "ack", id: frame.id, duplicate: true };
    }
  }
}

/**
 * What the gateway's spectrum-ts app is built from: the adapter's config, its HTTP transport (the
 * same clients and token cache the adapter sends with), and its attachment download.
 *
 * @example
 * ```ts
 * const spectrum = new GatewaySpectrum(async () => spectrumSource(await readyAdapter(bot)));
 * ```
 */
export function spectrumSource(adapter: CatchUpTarget, phoneOf?: (chatGuid: string) => string | undefined): SpectrumSource {
  return {
    config: adapter.config,
    transport: adapter.remoteTransport(),
    attachmentBytes: async (id, space) => new Uint8Array(await adapter.downloadAttachment(id, encodeThreadId({ chatGuid: space.id, phone: space.phone }))),
    phoneOf,
  };
}
