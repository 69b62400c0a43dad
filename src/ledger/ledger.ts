/**
 * @module ledger/ledger
 * Exactly-once handling of at-least-once deliveries: the ledger contract and an in-memory ledger for
 * single Node processes (the durable one, which also runs deliveries, is in `durable-ledger.ts`).
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";

/**
 * What the ledger did with a delivery. Every status is answered 200: the message is (or was) safe.
 * - `accepted`: first time seen; it will be handled.
 * - `duplicate`: already handled.
 * - `in-flight`: a copy is being handled (or waits for its next attempt); nothing more to do.
 * - `dead-letter`: handling failed for good; it is kept in the dead letters for a replay.
 */
export type AcceptStatus = "accepted" | "duplicate" | "in-flight" | "dead-letter";

/** Where deliveries are recorded exactly once. */
export interface DeliveryLedgerClient {
  /** Records `delivery` under `key` (see `deliveryKeyOf`). */
  accept(delivery: VerifiedDelivery, key: string): Promise<AcceptStatus>;
  /**
   * True when the ledger runs accepted deliveries itself, to completion, outside the request (the
   * Durable Object ledger). False when the caller must run them and report with {@link settle}.
   */
  readonly durable: boolean;
  /** Reports the outcome of a delivery the caller ran (non-durable ledgers). */
  settle(key: string, outcome: "done" | "failed"): Promise<void>;
}

/**
 * A ledger in process memory, bounded to the newest `capacity` keys, for Node processes that run
 * one adapter (local bridge, tests, benchmarks). A failed delivery is forgotten, so the sender's
 * retry runs it again. On Workers use `createDurableLedger`: isolates share no memory and die.
 *
 * @example
 * ```ts
 * const imessage = createiMessageAdapter({ serverUrl, apiKey, ledger: createMemoryLedger() });
 * ```
 */
export function createMemoryLedger(capacity = 50_000): DeliveryLedgerClient {
  const entries = new Map<string, "processing" | "done">();
  return {
    durable: false,
    async accept(_delivery, key) {
      const state = entries.get(key);
      if (state === "done") return "duplicate";
      if (state === "processing") return "in-flight";
      entries.set(key, "processing");
      // Maps iterate in insertion order: the first keys are the oldest deliveries.
      for (const oldest of entries.keys()) {
        if (entries.size <= capacity) break;
        entries.delete(oldest);
      }
      return "accepted";
    },
    async settle(key, outcome) {
      if (outcome === "done") entries.set(key, "done");
      else entries.delete(key);
    },
  };
}
