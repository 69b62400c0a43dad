/**
 * @module dedupe/ledger
 * Exactly-once handling of at-least-once deliveries: a KV fast path in front of an atomic Durable Object claim.
 */
import type { ClaimResult, DeliveryLedger } from "../../durable-objects/delivery-ledger.ts";

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
  complete(claim: HeldClaim): Promise<void>;
  release(claim: HeldClaim, error: unknown): Promise<void>;
}

/** Options of {@link createDurableLedger}. */
export interface DurableLedgerOptions {
  /** The `DeliveryLedger` Durable Object namespace (source of truth). */
  namespace: DurableObjectNamespace<DeliveryLedger>;
  /** Optional KV namespace remembering finished keys (fast path, eventually consistent). */
  kv?: KVNamespace;
  /** How long a claim is held before another delivery may take it over (default 120 s). */
  leaseMs?: number;
  /** KV retention of finished keys in seconds (default 7 days; at least 24 h). */
  kvTtlSeconds?: number;
  /** Number of ledger Durable Objects keys are spread over (default 8). */
  shards?: number;
}

/** The idempotency key Spectrum documents for a delivery: webhook id + message id. */
export function deliveryKey(webhookId: string | undefined, messageId: string): string {
  return `${webhookId ?? "-"}:${messageId}`;
}

function shardOf(key: string, shards: number): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return (hash >>> 0) % shards;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A ledger on Durable Objects (atomic claims) with KV as the fast path for finished keys.
 *
 * @example
 * ```ts
 * const ledger = createDurableLedger({ namespace: env.DELIVERY_LEDGER, kv: env.DEDUPE_KV });
 * const result = await ledger.claim(deliveryKey(webhookId, messageId));
 * ```
 */
export function createDurableLedger(options: DurableLedgerOptions): DeliveryLedgerClient {
  const leaseMs = options.leaseMs ?? 120_000;
  const kvTtl = Math.max(options.kvTtlSeconds ?? 7 * 24 * 3600, 24 * 3600);
  const shards = options.shards ?? 8;
  const stub = (key: string) => options.namespace.get(options.namespace.idFromName(`ledger-${shardOf(key, shards)}`));
  const kvKey = (key: string) => `done:${key}`;

  return {
    async claim(key) {
      if (options.kv && (await options.kv.get(kvKey(key))) !== null) return { verdict: "duplicate" };
      const result = (await stub(key).claim(key, leaseMs)) as ClaimResult;
      if (result.verdict === "claimed") {
        return { verdict: "claimed", claim: { key, token: result.token, attempt: result.attempt } };
      }
      return result;
    },
    async complete(claim) {
      const completed = await stub(claim.key).complete(claim.key, claim.token);
      // A claimant whose lease was taken over must not mark the key done for the one now holding it.
      if (completed) await options.kv?.put(kvKey(claim.key), "1", { expirationTtl: kvTtl });
    },
    async release(claim, error) {
      await stub(claim.key).release(claim.key, claim.token, errorText(error));
    },
  };
}

/**
 * A ledger in process memory, bounded to the newest `capacity` keys, for Node processes that run
 * one adapter (local bridge, tests).
 * On Workers use {@link createDurableLedger}: isolates do not share memory.
 */
export function createMemoryLedger(leaseMs = 120_000, capacity = 50_000): DeliveryLedgerClient {
  const entries = new Map<string, { state: "processing" | "done" | "failed"; token: string; leaseUntil: number; attempts: number }>();
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
    async complete(claim) {
      const entry = entries.get(claim.key);
      if (entry?.token === claim.token) entry.state = "done";
    },
    async release(claim) {
      const entry = entries.get(claim.key);
      if (entry?.token === claim.token) entry.state = "failed";
    },
  };
}
