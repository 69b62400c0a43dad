/**
 * @module Fault switches of the simulator: which request gets which failure, by count or by rate.
 */
import type { ArmedFault, FaultSpec } from "./types.ts";

/** What a fault is matched against: the request line, its routing headers and the chat it names. */
export interface FaultTarget {
  method: string;
  path: string;
  server: string | undefined;
  authorization: string | null;
  /** `chatGuid` (or `target.chatGuid`) of the request body or query, when it names one. */
  chatGuid: string | undefined;
}

/** mulberry32: a small seeded generator, so a run with the same seeds fires the same faults. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Armed {
  fault: ArmedFault;
  random: () => number;
  /** Matching requests still owed to a burst that has started. */
  burstLeft: number;
}

function checkSpec(spec: FaultSpec): void {
  if (typeof spec.match !== "string" || spec.match === "") throw new Error("fault needs a `match` path");
  if (spec.status === undefined && !spec.drop && spec.delayMs === undefined && !spec.expireToken) {
    throw new Error("fault needs at least one of `status`, `drop`, `delayMs`, `expireToken`");
  }
  if (spec.rate !== undefined && !(spec.rate > 0 && spec.rate <= 1)) throw new Error("`rate` must be in (0, 1]");
  if (spec.burst !== undefined && !(Number.isInteger(spec.burst) && spec.burst >= 1)) throw new Error("`burst` must be an integer ≥ 1");
  if (spec.phase !== undefined && spec.phase !== "before" && spec.phase !== "after") throw new Error('`phase` must be "before" or "after"');
  if (spec.phase === "after" && spec.expireToken) throw new Error("`expireToken` applies before the server acts: drop `phase: \"after\"`");
}

/**
 * Armed fault switches. A fault with `rate` fires on that share of matching requests (seeded, so
 * runs repeat) until it has fired `times` times (unlimited when omitted); a fault without `rate`
 * fires on the next `times` matching requests (default 1). `burst` makes each firing cover that
 * many consecutive matching requests.
 */
export class Faults {
  private armed: Armed[] = [];
  private nextId = 0;

  arm(spec: FaultSpec): ArmedFault {
    checkSpec(spec);
    const id = ++this.nextId;
    const unlimited = spec.rate !== undefined && spec.times === undefined;
    const fault: ArmedFault = { ...spec, id, remaining: unlimited ? null : (spec.times ?? 1), fired: 0 };
    this.armed.push({ fault, random: seeded(spec.seed ?? id * 7919), burstLeft: 0 });
    return fault;
  }

  /** Decides whether a fault applies to this request, consuming one use of the first that does. */
  take(target: FaultTarget): ArmedFault | undefined {
    for (const entry of this.armed) {
      const { fault } = entry;
      if (!matches(fault, target)) continue;
      if (entry.burstLeft > 0) {
        entry.burstLeft -= 1;
        fault.fired += 1;
        return fault;
      }
      if (fault.remaining !== null && fault.remaining <= 0) continue;
      if (fault.rate !== undefined && entry.random() >= fault.rate) continue;
      if (fault.remaining !== null) fault.remaining -= 1;
      fault.fired += 1;
      entry.burstLeft = (fault.burst ?? 1) - 1;
      return fault;
    }
    return undefined;
  }

  list(): ArmedFault[] {
    return this.armed.filter((entry) => entry.fault.remaining !== 0 || entry.burstLeft > 0).map((entry) => entry.fault);
  }

  /** Removes one fault (by id) or all of them. */
  clear(id?: number): void {
    this.armed = id === undefined ? [] : this.armed.filter((entry) => entry.fault.id !== id);
  }
}

function matches(fault: ArmedFault, target: FaultTarget): boolean {
  return (
    (fault.match.endsWith("*") ? target.path.startsWith(fault.match.slice(0, -1)) : target.path === fault.match) &&
    (fault.method === undefined || fault.method.toUpperCase() === target.method) &&
    (fault.server === undefined || fault.server === target.server) &&
    (fault.token === undefined || target.authorization === `Bearer ${fault.token}`) &&
    (fault.chatPrefix === undefined || (target.chatGuid?.startsWith(fault.chatPrefix) ?? false))
  );
}
