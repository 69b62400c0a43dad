/**
 * @module dedupe/ledger
 * Exactly-once handling of at-least-once deliveries: the ledger contract, the delivery key, and an
 * in-memory ledger for single Node processes (the durable one is in `durable-ledger.ts`).
 */

/** A claim held by this worker; pass it back to `complete` or `release`. */
export interface HeldClaim {
  key: string;
  token: string;
  attempt: number;
}

/** The verdict for one delivery key. */
export type LedgerVerdict =
  | { verdict: "claimed"; claim: HeldClaim }
  | { verdict: "duplicate" }
  | { verdict: "in-flight"; retryAfterMs: number };

/** Where deliveries are claimed, completed and released. */
export interface DeliveryLedgerClient {
  claim(key: string): Promise<LedgerVerdict>;
  /** Marks the claim done, and the message as handled through `channel` (for the other channels). */
  complete(claim: HeldClaim, handled?: { messageId: string; channel: string }): Promise<void>;
  release(claim: HeldClaim, error: unknown): Promise<void>;
  /** Keeps a claim whose handlers are still running from being taken over; false when it already was. */
  extend(claim: HeldClaim): Promise<boolean>;
  /** How long a claim lasts without {@link extend}. */
  readonly leaseMs: number;
  /**
   * The channel that already handled this message, if any (a message can arrive by webhook, relay and
   * catch-up). `fast` reads only the cheap, eventually consistent copy where the ledger has one.
   */
  handledBy(messageId: string, fast?: boolean): Promise<string | null>;
}

/** The ledger key of the "handled by" marker of a message. */
export function handledKey(messageId: string): string {
  return `handled:${messageId}`;
}

/** The idempotency key Spectrum documents for a delivery: webhook id + message id. */
export function deliveryKey(webhookId: string | undefined, messageId: string): string {
  return `${webhookId ?? "-"}:${messageId}`;
}

/**
 * A ledger in process memory, bounded to the newest `capacity` keys, for Node processes that run
 * one adapter (local bridge, tests).
 * On Workers use {@link createDurableLedger}: isolates do not share memory.
 */
export function createMemoryLedger(leaseMs = 120_000, capacity = 50_000): DeliveryLedgerClient {
  const entries = new Map<string, { state: "processing" | "done" | "failed"; token: string; leaseUntil: number; attempts: number }>();
  const handled = new Map<string, string>();
  const evictOldest = () => {
    // Maps iterate in insertion order: the first keys are the oldest deliveries.
    for (const key of entries.keys()) {
      if (entries.size <= capacity) return;
      entries.delete(key);
    }
  };
  return {
    async claim(key) {
      const now = Date.now();
      const entry = entries.get(key);
      if (entry?.state === "done") return { verdict: "duplicate" };
      if (entry?.state === "processing" && entry.leaseUntil > now) {
        return { verdict: "in-flight", retryAfterMs: entry.leaseUntil - now };
      }
      const token = crypto.randomUUID();
      const attempts = (entry?.attempts ?? 0) + 1;
      entries.delete(key);
      entries.set(key, { state: "processing", token, leaseUntil: now + leaseMs, attempts });
      evictOldest();
      return { verdict: "claimed", claim: { key, token, attempt: attempts } };
    },
    async complete(claim, marker) {
      const entry = entries.get(claim.key);
      if (entry?.token !== claim.token) return;
      entry.state = "done";
      if (marker) {
        handled.set(marker.messageId, marker.channel);
        if (handled.size > capacity) handled.delete(handled.keys().next().value as string);
      }
    },
    async handledBy(messageId) {
      return handled.get(messageId) ?? null;
    },
    async extend(claim) {
      const entry = entries.get(claim.key);
      if (entry?.token !== claim.token || entry.state !== "processing") return false;
      entry.leaseUntil = Date.now() + leaseMs;
      return true;
    },
    leaseMs,
    async release(claim) {
      const entry = entries.get(claim.key);
      if (entry?.token === claim.token) entry.state = "failed";
    },
  };
}
