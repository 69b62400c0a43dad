/**
 * @module ledger/outbound-budget
 * Outbound calls per invocation. Every request or alarm of a Durable Object may make a bounded number
 * of subrequests (50 `fetch` calls on Workers Free, 1,000 or more on Paid), and a ledger's drain that
 * keeps starting deliveries would charge all their replies (typing, send: 2–4 calls each) to the
 * invocation that started it. Each invocation therefore gets a budget; its drain starts a delivery
 * only while the budget has room for it, then hands the rest to a fresh invocation (an alarm).
 *
 * Counting: `fetch` is wrapped once per isolate, and each call is charged to every budget with a
 * delivery running at that moment. Workers has no async context outside `node:async_hooks`, so a call
 * cannot be told apart by who made it; charging every running budget over-counts when several run at
 * once (other ledgers of the isolate included), never under-counts.
 */

/** Outbound calls one invocation lets its deliveries make (under Workers Free's 50 per invocation). */
export const OUTBOUND_PER_INVOCATION = 40;
/** Calls one delivery is assumed to make at most (typing, send, a token or one retry): what a start reserves. */
export const OUTBOUND_PER_DELIVERY = 4;

/** Budgets with a delivery running now: each outbound call is charged to all of them. */
const charged = new Set<OutboundBudget>();
let installed = false;

/** Wraps the isolate's `fetch` once (a call looks `fetch` up when made, so clients built before still pass here). */
function countFetches(): void {
  if (installed) return;
  installed = true;
  const real = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    for (const budget of charged) budget.used++;
    return real(input, init);
  }) as typeof fetch;
}

/**
 * The outbound calls of one invocation (a request or an alarm of a ledger).
 *
 * @example
 * ```ts
 * const budget = new OutboundBudget();
 * if (budget.canStart()) void budget.run(() => runOne(due));
 * ```
 */
export class OutboundBudget {
  /** Calls charged so far. */
  used = 0;
  private running = 0;

  readonly limit: number;
  readonly perDelivery: number;

  constructor(limit = OUTBOUND_PER_INVOCATION, perDelivery = OUTBOUND_PER_DELIVERY) {
    this.limit = limit;
    this.perDelivery = perDelivery;
    countFetches();
  }

  /** Room for one more delivery beside the ones running, each assumed to make `perDelivery` calls. */
  canStart(): boolean {
    return this.used + this.perDelivery * (this.running + 1) <= this.limit;
  }

  /** No room for even one more delivery: what is left goes to a fresh invocation. */
  spent(): boolean {
    return this.used + this.perDelivery > this.limit;
  }

  /** Runs one delivery, charging the outbound calls made meanwhile to this budget. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    charged.add(this);
    try {
      return await task();
    } finally {
      this.running--;
      if (this.running === 0) charged.delete(this);
    }
  }
}
