/**
 * @module Request recorder and fault switches of the simulator.
 */
import type { ArmedFault, FaultSpec, RecordedRequest, RequestFilter } from "./types.ts";

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

/** Armed fault switches; each applies to the next `times` matching requests. */
export class Faults {
  private armed: ArmedFault[] = [];
  private nextId = 0;

  arm(spec: FaultSpec): ArmedFault {
    if (typeof spec.match !== "string" || spec.match === "") throw new Error("fault needs a `match` path");
    if (spec.status === undefined && !spec.drop && spec.delayMs === undefined) {
      throw new Error("fault needs at least one of `status`, `drop`, `delayMs`");
    }
    const fault: ArmedFault = { ...spec, id: ++this.nextId, remaining: spec.times ?? 1 };
    this.armed.push(fault);
    return fault;
  }

  /** Consumes one use of the first fault matching the request, if any. */
  take(method: string, path: string, server: string | undefined, authorization: string | null): ArmedFault | undefined {
    const fault = this.armed.find(
      (f) =>
        f.remaining > 0 &&
        (f.match.endsWith("*") ? path.startsWith(f.match.slice(0, -1)) : path === f.match) &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.server === undefined || f.server === server) &&
        (f.token === undefined || authorization === `Bearer ${f.token}`),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.armed = this.armed.filter((f) => f !== fault);
    return fault;
  }

  list(): ArmedFault[] {
    return [...this.armed];
  }

  clear(): void {
    this.armed = [];
  }
}
