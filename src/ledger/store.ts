/**
 * @module delivery/ledger-store
 * The SQLite table of one delivery ledger (the conversations one `DeliveryLedger` Durable Object
 * owns): every accepted delivery with its chat GUID, what is needed to run it again, its state,
 * attempts and errors. Plain SQL over `ctx.storage.sql`; the
 * Durable Object (`durable-objects/delivery-ledger.ts`) decides when to run what.
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";
import type { AcceptStatus } from "./ledger.ts";

/** Delivery states: waiting (`pending`), being handled (`running`), handled (`done`), failed for good (`dead`). */
export type DeliveryState = "pending" | "running" | "done" | "dead";

/** A delivery due to run. */
export interface DueDelivery {
  key: string;
  /** The conversation's chat GUID: its deliveries run one at a time, oldest first. */
  chat: string;
  delivery: VerifiedDelivery;
  /** Attempts made before this one. */
  attempts: number;
}

/** A delivery that failed for good, as listed by the dead-letter route. */
export interface DeadLetter {
  key: string;
  messageId: string;
  chatGuid: string;
  channel: string;
  webhookId: string | null;
  attempts: number;
  error: string;
  receivedAt: number;
  failedAt: number;
}

interface Row extends Record<string, SqlStorageValue> {
  key: string;
  chat: string;
  state: DeliveryState;
  delivery: string | null;
  attempts: number;
}

/**
 * Largest stored delivery, in UTF-8 bytes (a Durable Object's SQLite refuses values over 2 MB; a
 * webhook body is at most 1 MiB). A larger one is kept as a dead letter without its payload.
 */
export const MAX_STORED_DELIVERY_BYTES = 1_536 * 1024;

/** Called when the store itself moves a delivery to the dead letters (one it cannot keep or read back). */
export type OnBuried = (letter: DeadLetter) => void;

/** What a dead letter that cannot be replayed keeps instead of its payload. */
interface Unstorable {
  messageId: string;
  unstorable: string;
}

const encoder = new TextEncoder();

/** True for SQLite refusing a value for its size (`SQLITE_TOOBIG`). */
function isTooBig(error: unknown): boolean {
  return error instanceof Error && /too ?big|string or blob too/i.test(error.message);
}

/** Handled deliveries are remembered this long (far past any sender's retries), then pruned. */
export const DONE_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** Dead letters are kept this long for a replay. */
export const DEAD_RETENTION_MS = 30 * 24 * 3600 * 1000;

function statusOf(state: DeliveryState): AcceptStatus {
  return state === "done" ? "duplicate" : state === "dead" ? "dead-letter" : "in-flight";
}

/** A stored payload as a delivery to run, or undefined when it is not one (unreadable, or kept without its payload). */
function readDelivery(payload: string | null): VerifiedDelivery | undefined {
  if (!payload) return undefined;
  try {
    const delivery = JSON.parse(payload) as Partial<VerifiedDelivery> & Partial<Unstorable>;
    const space = delivery?.envelope?.message?.space;
    return delivery && !delivery.unstorable && typeof space?.id === "string" ? (delivery as VerifiedDelivery) : undefined;
  } catch {
    return undefined;
  }
}

/** The message id of a stored delivery, else what its key says (`msg:<id>`; a hashed key is shown as is). */
function messageIdOf(key: string, payload: string | null): string {
  try {
    const parsed = JSON.parse(payload ?? "null") as { messageId?: unknown } | null;
    if (typeof parsed?.messageId === "string") return parsed.messageId;
  } catch {
    // unreadable payload: fall back to the key
  }
  return key.startsWith("msg:") ? key.slice(4) : key;
}

/** `AND chat NOT IN (?, …)` for the conversations in `busy` (nothing when empty), with its parameters. */
function notIn(busy: ReadonlySet<string>): { sql: string; params: string[] } {
  const params = [...busy];
  return { sql: params.length > 0 ? `AND chat NOT IN (${params.map(() => "?").join(", ")})` : "", params };
}

/** The ledger table of one `DeliveryLedger` Durable Object. */
export class LedgerStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (
      seq INTEGER PRIMARY KEY,
      key TEXT NOT NULL UNIQUE,
      chat TEXT NOT NULL,
      state TEXT NOT NULL,
      delivery TEXT,
      channel TEXT NOT NULL,
      webhook_id TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      last_error TEXT,
      received_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries (next_at) WHERE state IN ('pending', 'running');`);
  }

  /**
   * Records a delivery once; a known key reports what became of it instead. A delivery too big to
   * store is recorded as a dead letter at once (with the reason, without its payload: it cannot be
   * replayed) and reported to `onBuried`.
   */
  accept(key: string, delivery: VerifiedDelivery, now: number, onBuried?: OnBuried): AcceptStatus {
    // A copy costs one indexed read and no write.
    const known = this.stateOf(key);
    if (known) return statusOf(known);
    const chat = delivery.envelope.message.space.id;
    let payload: string | undefined;
    try {
      payload = JSON.stringify(delivery);
    } catch {
      // Too deep or cyclic to serialize: kept as a dead letter below.
    }
    const bytes = payload === undefined ? Number.NaN : encoder.encode(payload).byteLength;
    if (payload !== undefined && bytes <= MAX_STORED_DELIVERY_BYTES) {
      try {
        return this.insert(key, chat, "pending", payload, delivery, now) ? "accepted" : statusOf(this.stateOf(key) ?? "pending");
      } catch (error) {
        if (!isTooBig(error)) throw error;
      }
    }
    const reason =
      payload === undefined
        ? "the delivery cannot be serialized to store it; it cannot be replayed"
        : `the delivery is too big to store (${bytes} bytes of JSON, at most ${MAX_STORED_DELIVERY_BYTES}); it cannot be replayed`;
    const stub: Unstorable = { messageId: String(delivery.messageId).slice(0, 1024), unstorable: reason };
    if (this.insert(key, chat, "dead", JSON.stringify(stub), delivery, now, reason)) {
      const letter = this.deadLetters(key)[0];
      if (letter) onBuried?.(letter);
    }
    return statusOf(this.stateOf(key) ?? "dead");
  }

  private stateOf(key: string): DeliveryState | undefined {
    return this.sql.exec<{ state: DeliveryState }>("SELECT state FROM deliveries WHERE key = ?", key).toArray()[0]?.state;
  }

  private insert(key: string, chat: string, state: DeliveryState, payload: string, delivery: VerifiedDelivery, now: number, error?: string): boolean {
    return (
      this.sql
        .exec(
          `INSERT INTO deliveries (key, chat, state, delivery, channel, webhook_id, next_at, last_error, received_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING RETURNING seq`,
          key,
          chat,
          state,
          payload,
          String(delivery.channel ?? "webhook").slice(0, 64),
          delivery.webhookId?.slice(0, 256) ?? null,
          now,
          error ?? null,
          now,
          now,
        )
        .toArray().length > 0
    );
  }

  /**
   * The oldest delivery due by `now` (pending, or running when a handler died mid-run) in a
   * conversation not in `busy` (those already have a delivery running in this object). At most
   * 90 busy conversations (SQLite's bound-parameter limit in Durable Objects is 100).
   */
  nextDue(now: number, busy: ReadonlySet<string> = new Set(), onBuried?: OnBuried): DueDelivery | undefined {
    const skip = notIn(busy);
    for (;;) {
      const row = this.sql
        .exec<Row>(
          `SELECT key, chat, state, delivery, attempts FROM deliveries WHERE state IN ('pending', 'running') AND next_at <= ? ${skip.sql}
           ORDER BY seq LIMIT 1`,
          now,
          ...skip.params,
        )
        .toArray()[0];
      if (!row) return undefined;
      const delivery = readDelivery(row.delivery);
      if (delivery) return { key: row.key, chat: row.chat, delivery, attempts: row.attempts };
      // Unreadable: it can never run; bury it with the reason so the next delivery is not held behind it.
      const letter = this.bury(row.key, "the stored delivery cannot be read back (not a delivery's JSON); it cannot be replayed", now);
      if (letter) onBuried?.(letter);
    }
  }

  /** When the next open delivery is due, if any, leaving out the conversations in `busy` (at most 90). */
  nextDueAt(busy: ReadonlySet<string> = new Set()): number | undefined {
    const skip = notIn(busy);
    const at = this.sql
      .exec<{ at: number | null }>(`SELECT MIN(next_at) AS at FROM deliveries WHERE state IN ('pending', 'running') ${skip.sql}`, ...skip.params)
      .one().at;
    return at ?? undefined;
  }

  /** Marks a delivery as being run (one more attempt). */
  start(key: string, now: number): void {
    this.sql.exec("UPDATE deliveries SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE key = ?", now, key);
  }

  /** Marks a delivery handled; its payload is dropped, its key kept for dedupe. */
  finish(key: string, now: number): void {
    this.sql.exec("UPDATE deliveries SET state = 'done', delivery = NULL, last_error = NULL, updated_at = ? WHERE key = ?", now, key);
  }

  /** Puts a failed delivery back for another attempt at `nextAt`; `countAttempt: false` gives the attempt back. */
  retryAt(key: string, nextAt: number, error: string, now: number, countAttempt = true): void {
    this.sql.exec(
      `UPDATE deliveries SET state = 'pending', next_at = ?, last_error = ?, updated_at = ?,
       attempts = attempts - ? WHERE key = ?`,
      nextAt,
      error.slice(0, 1000),
      now,
      countAttempt ? 0 : 1,
      key,
    );
  }

  /** Moves a delivery to the dead letters. */
  bury(key: string, error: string, now: number): DeadLetter | undefined {
    this.sql.exec("UPDATE deliveries SET state = 'dead', last_error = ?, updated_at = ? WHERE key = ?", error.slice(0, 1000), now, key);
    return this.deadLetters(key)[0];
  }

  /** Every dead letter of this ledger, or only the one stored under `key`; an unreadable payload does not hide the others. */
  deadLetters(key?: string): DeadLetter[] {
    return this.sql
      .exec<{ key: string; chat: string; delivery: string | null; channel: string; webhook_id: string | null; attempts: number; last_error: string | null; received_at: number; updated_at: number }>(
        `SELECT key, chat, delivery, channel, webhook_id, attempts, last_error, received_at, updated_at FROM deliveries
         WHERE state = 'dead' ${key === undefined ? "" : "AND key = ?"} ORDER BY seq`,
        ...(key === undefined ? [] : [key]),
      )
      .toArray()
      .map((row) => {
        return {
          key: row.key,
          messageId: messageIdOf(row.key, row.delivery),
          chatGuid: row.chat,
          channel: row.channel,
          webhookId: row.webhook_id,
          attempts: row.attempts,
          error: row.last_error ?? "",
          receivedAt: row.received_at,
          failedAt: row.updated_at,
        };
      });
  }

  /** Puts a dead letter back in line with a fresh attempt budget; false when `key` is not a dead letter or has no payload to replay. */
  revive(key: string, now: number): boolean {
    const row = this.sql.exec<{ delivery: string | null }>("SELECT delivery FROM deliveries WHERE key = ? AND state = 'dead'", key).toArray()[0];
    if (!row || !readDelivery(row.delivery)) return false;
    return (
      this.sql
        .exec("UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE key = ? AND state = 'dead' RETURNING key", now, now, key)
        .toArray().length > 0
    );
  }

  /** The state of one key (tests, diagnostics). */
  inspect(key: string): { state: DeliveryState; attempts: number; lastError: string | null } | null {
    const row = this.sql
      .exec<{ state: DeliveryState; attempts: number; last_error: string | null }>("SELECT state, attempts, last_error FROM deliveries WHERE key = ?", key)
      .toArray()[0];
    return row ? { state: row.state, attempts: row.attempts, lastError: row.last_error } : null;
  }

  /** Forgets handled deliveries and dead letters past their retention; returns how many rows remain. */
  prune(now: number): number {
    this.sql.exec(
      "DELETE FROM deliveries WHERE (state = 'done' AND updated_at < ?) OR (state = 'dead' AND updated_at < ?)",
      now - DONE_RETENTION_MS,
      now - DEAD_RETENTION_MS,
    );
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries").one().n;
  }
}
