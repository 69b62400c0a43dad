/**
 * @module gateway/spectrum-inbox
 * The inbound side of the HTTP iMessage provider: the gateway pushes records in, the spectrum app's
 * message stream (the provider's `messages`) pulls them out.
 */
import { stream, type ManagedStream } from "spectrum-ts";
import type { InboundRecord } from "./spectrum-inbound.ts";

/** Records held while nothing listens (the app's stream subscribes asynchronously); the oldest are dropped beyond this. */
export const INBOX_BACKLOG = 256;

type Emit = (record: InboundRecord) => Promise<void>;

/**
 * A push source for spectrum-ts. `push` resolves once every listening stream has taken the record;
 * records pushed before any stream listens are held (bounded) and handed to the first one, in order.
 * Once a stream has listened and none listens any more (spectrum-ts ended it), or after `close`,
 * `push` takes nothing and resolves false: the app must be rebuilt to stream again.
 *
 * @example
 * ```ts
 * const inbox = new RecordInbox();
 * const records = inbox.subscribe(); // what the provider's `messages` returns
 * await inbox.push(recordOf(envelope, bytes));
 * ```
 */
export class RecordInbox {
  private readonly listeners = new Set<Emit>();
  private backlog: InboundRecord[] = [];
  private closed = false;
  private subscribed = false;

  /** True when the record was taken (or held for the first stream); false when no stream will ever read it. */
  async push(record: InboundRecord): Promise<boolean> {
    if (this.closed) return false;
    if (this.listeners.size === 0) {
      if (this.subscribed) return false;
      this.backlog.push(record);
      if (this.backlog.length > INBOX_BACKLOG) this.backlog.shift();
      return true;
    }
    const taken = await Promise.allSettled(Array.from(this.listeners, (emit) => emit(record)));
    return taken.some((outcome) => outcome.status === "fulfilled");
  }

  subscribe(): ManagedStream<InboundRecord> {
    return stream<InboundRecord>((emit, end) => {
      if (this.closed) return end();
      const held = this.backlog;
      this.backlog = [];
      // Pushes queue in order on the stream, so held records stay ahead of new ones.
      for (const record of held) emit(record).catch(() => undefined);
      this.listeners.add(emit);
      this.subscribed = true;
      return () => void this.listeners.delete(emit);
    });
  }

  /** Stops accepting records and drops what is held; listening streams end when the app stops. */
  close(): void {
    this.closed = true;
    this.backlog = [];
    this.listeners.clear();
  }
}
