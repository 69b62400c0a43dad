/**
 * @module ledger/run-slots
 * A bound on the deliveries run at once in one isolate, across the ledger Durable Objects it hosts.
 * Slots are leases: a holder whose Durable Object is reset mid-run (its `finally` never runs) gives
 * its slot back when the lease runs out, and a waiter that is woken but never resumes (same cause)
 * takes nothing — every waiter also re-checks on a timer, so one lost wake-up stalls nobody for long.
 */

/**
 * Run slots of one isolate.
 *
 * @example
 * ```ts
 * const slots = new RunSlots({ limit: 24, leaseMs: 15 * 60_000, recheckMs: 10_000 });
 * await slots.run(() => adapter.runDelivery(delivery, run));
 * ```
 */
export class RunSlots {
  /** Deliveries run at once. */
  readonly limit: number;
  private readonly leaseMs: number;
  private readonly recheckMs: number;
  /** Holder → when it took its slot (ms since epoch). */
  private readonly holders = new Map<object, number>();
  /** Wake-ups of the waiters, oldest first. */
  private readonly waiters = new Set<() => void>();
  /** Whose each waiter is (see {@link run}'s `owner`). */
  private readonly owners = new WeakMap<() => void, object>();

  /**
   * @param options.limit slots (≥ 1)
   * @param options.leaseMs a slot held longer than this is free again (ms; longer than any handler should run)
   * @param options.recheckMs a waiter looks for a free slot at least this often (ms)
   */
  constructor(options: { limit: number; leaseMs: number; recheckMs: number }) {
    this.limit = Math.max(1, options.limit);
    this.leaseMs = options.leaseMs;
    this.recheckMs = options.recheckMs;
  }

  /** Slots taken now (expired leases dropped). */
  inUse(now = Date.now()): number {
    for (const [holder, since] of this.holders) if (now - since > this.leaseMs) this.holders.delete(holder);
    return this.holders.size;
  }

  /**
   * Runs `task` once a slot is free; resolves or rejects with it. `owner` (a Durable Object): a slot
   * given back wakes only a waiter of the same owner, since code resumed by another Durable Object
   * runs in that one's I/O context and cannot use its own storage; waiters of other owners take the
   * slot at their re-check.
   */
  async run<T>(task: () => Promise<T>, owner?: object): Promise<T> {
    while (this.inUse() >= this.limit) await this.wait(owner);
    const holder = {};
    this.holders.set(holder, Date.now());
    try {
      return await task();
    } finally {
      this.holders.delete(holder);
      for (const wake of this.waiters) {
        if (this.owners.get(wake) !== owner) continue;
        wake();
        break;
      }
    }
  }

  private wait(owner: object | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
      if (owner) this.owners.set(wake, owner);
      // Not cleared on a wake-up: the timer belongs to the waiter's own request context.
      setTimeout(wake, this.recheckMs);
    });
  }
}
