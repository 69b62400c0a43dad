/**
 * @module core/hash
 * Spreads keys over a fixed number of Durable Objects by a stable hash (FNV-1a).
 */

/**
 * The name of the Durable Object that owns `key`, one of `shards` named `<prefix>-<n>`.
 *
 * @example
 * ```ts
 * namespace.getByName(shardName("ledger", key, 8));
 * ```
 */
export function shardName(prefix: string, key: string, shards: number): string {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return `${prefix}-${(hash >>> 0) % shards}`;
}
