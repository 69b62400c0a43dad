/**
 * @module ledger/keys
 * Bounded storage keys of deliveries, the ledger that owns a conversation, and the idempotency
 * keys of the outbound calls a delivery makes. Identifiers from the wire are never used as keys
 * unbounded: anything longer than {@link MAX_PLAIN_KEY} characters is replaced by its SHA-256.
 */
import { shardName } from "../core/hash.ts";

/** Identifiers up to this many characters are kept as they are (readable in logs and dead letters). */
export const MAX_PLAIN_KEY = 200;

const encoder = new TextEncoder();

/** Lowercase hex SHA-256 of a string (WebCrypto). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** 64-bit FNV-1a of a string's UTF-16 code units, as 16 hex digits (two 32-bit lanes, different offsets). */
function fnv1a64Hex(text: string): string {
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 7);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/**
 * The ledger key of a message: one per message id, whatever channel (webhook, relay, catch-up) or
 * webhook registration brought it — so one bot acts once per message.
 *
 * @example
 * ```ts
 * await deliveryKeyOf("8A6C2D1E-…"); // "msg:8A6C2D1E-…"
 * ```
 */
export async function deliveryKeyOf(messageId: string): Promise<string> {
  return messageId.length <= MAX_PLAIN_KEY ? `msg:${messageId}` : `msg#${await sha256Hex(messageId)}`;
}

/**
 * Ledger Durable Objects the conversations are spread over. Fixed: a message must always reach the
 * ledger that already knows it (its key is deduplicated there), so changing this would let a
 * redelivery straddling a deploy run twice. Each ledger runs many conversations at once, each one
 * delivery at a time, so 64 give ample throughput (an iMessage bot's traffic is bounded by Apple's
 * sending limits long before) while `wrangler dev` keeps 64 SQLite files open, not one per chat.
 */
export const LEDGER_SHARDS = 64;

/**
 * The name of the ledger Durable Object that owns a conversation: `ledger-<n>`, n in
 * [0, {@link LEDGER_SHARDS}), by a stable hash of the chat GUID.
 *
 * @example
 * ```ts
 * namespace.getByName(ledgerNameOf("any;-;+15551234567")); // the stub of e.g. "ledger-41"
 * ```
 */
export function ledgerNameOf(chatGuid: string): string {
  return shardName("ledger", chatGuid, LEDGER_SHARDS);
}

/**
 * Derives the idempotency keys (`clientMessageId`) of the outbound calls one delivery makes: the
 * n-th call of any attempt of the same delivery gets the same key, so a re-run after a crash, a
 * timeout or a lost response is answered by the server with the first result instead of a second
 * message (advanced-imessage `IdempotencyOptions.clientMessageId`: "Stable key for one logical write").
 */
export class OutboundKeys {
  private next = 0;
  private readonly base: string;

  private constructor(base: string) {
    this.base = base;
  }

  /** Keys for the delivery stored under `deliveryKey` (derived synchronously: no digest on the hot path). */
  static forDelivery(deliveryKey: string): OutboundKeys {
    return new OutboundKeys(`d-${fnv1a64Hex(deliveryKey)}`);
  }

  /** The key of the next outbound write of this delivery run. */
  take(): string {
    return `${this.base}-${this.next++}`;
  }
}
