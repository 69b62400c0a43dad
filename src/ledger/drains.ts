/**
 * @module ledger/drains
 * The drains of one ledger instance: each invocation (a request or an alarm) that has deliveries to
 * start runs a loop of its own, so what it starts counts against its own outbound budget. A delivery
 * arriving while a drain with budget left runs is picked up by that drain; otherwise the arriving
 * request starts a drain charged to itself.
 */
import { OutboundBudget } from "./outbound-budget.ts";

/** What one invocation runs. */
export interface Drain {
  readonly budget: OutboundBudget;
  /** An alarm's drain: it stays while other drains run, starting what they hand off or leave due. */
  keep: boolean;
  /** Starts nothing more: its budget is spent (the rest went to a fresh invocation) or it is ending. */
  closing: boolean;
  done: Promise<void>;
}

/** A promise and its resolver. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * The running drains of one ledger instance and the signal that makes the waiting ones look again.
 *
 * @example
 * ```ts
 * const drains = new Drains((drain) => runDue(drain), (error) => retryLater(error));
 * ctx.waitUntil(drains.kick());
 * ```
 */
export class Drains {
  private readonly running = new Set<Drain>();
  private changed = signal();

  /**
   * @param loop runs a drain until it has nothing more to do
   * @param failed called when `loop` rejects (e.g. the bot factory threw)
   */
  private readonly loop: (drain: Drain) => Promise<void>;
  private readonly failed: (error: unknown) => Promise<void>;

  constructor(loop: (drain: Drain) => Promise<void>, failed: (error: unknown) => Promise<void>) {
    this.loop = loop;
    this.failed = failed;
  }

  /** Drains running now (the one asking included). */
  get size(): number {
    return this.running.size;
  }

  /** Resolves at the next {@link wake}: take it before looking, then wait on it. */
  get next(): Promise<void> {
    return this.changed.promise;
  }

  /** Tells waiting drains to look again (a delivery arrived, a run ended, a drain closed). */
  wake(): void {
    const { resolve } = this.changed;
    this.changed = signal();
    resolve();
  }

  /** Has a drain with budget left pick up what arrived, else starts one charged to the calling invocation. */
  kick(): Promise<void> {
    for (const drain of this.running) {
      if (!drain.closing) {
        this.wake();
        return drain.done;
      }
    }
    return this.start(new OutboundBudget(), false).done;
  }

  /** Starts a drain on `budget` (`keep`: an alarm's). */
  start(budget: OutboundBudget, keep: boolean): Drain {
    const drain: Drain = { budget, keep, closing: false, done: Promise.resolve() };
    this.running.add(drain);
    drain.done = this.loop(drain)
      .catch(this.failed)
      .finally(() => {
        drain.closing = true;
        this.running.delete(drain);
        this.wake();
      });
    return drain;
  }
}
