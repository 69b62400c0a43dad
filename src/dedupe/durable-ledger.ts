/**
 * @module dedupe/durable-ledger
 * The Workers ledger: a KV fast path in front of an atomic claim in a Durable Object.
 */
import type { ClaimResult, DeliveryLedger } from "../../durable-objects/delivery-ledger.ts";
import { handledKey, type DeliveryLedgerClient } from "./ledger.ts";
import { shardName } from "../state/shard.ts";

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
  const stub = (key: string) => options.namespace.get(options.namespace.idFromName(shardName("ledger", key, shards)));
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
    async complete(claim, handled) {
      const completed = await stub(claim.key).complete(claim.key, claim.token);
      // A claimant whose lease was taken over must not mark the key done for the one now holding it.
      if (!completed) return;
      await options.kv?.put(kvKey(claim.key), "1", { expirationTtl: kvTtl });
      if (handled) {
        const key = handledKey(handled.messageId);
        await stub(key).mark(key, handled.channel);
        await options.kv?.put(kvKey(key), handled.channel, { expirationTtl: kvTtl });
      }
    },
    leaseMs,
    async extend(claim) {
      return await stub(claim.key).extend(claim.key, claim.token, leaseMs);
    },
    async handledBy(messageId, fast) {
      const key = handledKey(messageId);
      const cached = options.kv ? await options.kv.get(kvKey(key)) : null;
      if (cached !== null || (fast && options.kv)) return cached;
      return await stub(key).markOf(key);
    },
    async release(claim, error) {
      await stub(claim.key).release(claim.key, claim.token, errorText(error));
    },
  };
}

