/**
 * @module Request recorder of the simulator (fault switches: `faults.ts`; attempts and deliveries: `sends.ts`).
 */
import type { RecordedRequest, RequestFilter } from "./types.ts";

const RECORD_LIMIT = 5000;

/** Keeps every request the simulated services answered, in arrival order. */
export class Recorder {
  private entries: RecordedRequest[] = [];
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  add(entry: RecordedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > RECORD_LIMIT) this.entries.shift();
  }

  list(filter: RequestFilter = {}): RecordedRequest[] {
    return this.entries.filter(
      (e) =>
        (filter.path === undefined || e.path === filter.path) &&
        (filter.prefix === undefined || e.path.startsWith(filter.prefix)) &&
        (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
        (filter.since === undefined || e.seq > filter.since),
    );
  }

  /** Sequence number of the latest entry (pass it as `since` to see only later requests). */
  mark(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}
