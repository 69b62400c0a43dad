/**
 * @module In-process event feed of everything the bot does through the simulator, with an SSE view.
 */
import type { SimEvent, SimEventRecord } from "./types.ts";

const HISTORY_LIMIT = 1000;

/** Publishes simulator events to listeners and keeps a bounded history for late subscribers. */
export class SimulatorEvents {
  private readonly listeners = new Set<(event: SimEventRecord) => void>();
  private history: SimEventRecord[] = [];
  private seq = 0;

  emit(event: SimEvent): SimEventRecord {
    const record = { ...event, seq: ++this.seq, at: Date.now() } as SimEventRecord;
    this.history.push(record);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /**
   * Subscribes to future events; returns the unsubscribe function.
   *
   * @example
   * const stop = sim.events.on((e) => { if (e.type === "message.sent") console.log(e.message.content.text); });
   */
  on(listener: (event: SimEventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events with `seq` greater than `since`. */
  since(since = 0): SimEventRecord[] {
    return this.history.filter((e) => e.seq > since);
  }

  clear(): void {
    this.history = [];
  }

  /** A `text/event-stream` response replaying events after `since`, then streaming new ones. */
  sse(since: number, signal?: AbortSignal): Response {
    const encoder = new TextEncoder();
    let stop = (): void => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (event: SimEventRecord): void => {
          controller.enqueue(encoder.encode(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`));
        };
        controller.enqueue(encoder.encode(": spectrum simulator events\n\n"));
        for (const event of this.since(since)) send(event);
        const unsubscribe = this.on(send);
        stop = () => {
          unsubscribe();
          try {
            controller.close();
          } catch {
            // already closed by the reader
          }
        };
        signal?.addEventListener("abort", () => stop(), { once: true });
      },
      cancel: () => stop(),
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
    });
  }
}
