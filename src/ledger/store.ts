/**
 * @module ledger/store
 * The SQLite tables of one delivery ledger (the conversations one `DeliveryLedger` Durable Object
 * owns; layout in `store-schema.ts`): every accepted key, and the deliveries not handled yet with
 * their chat GUID, what is needed to run them again, attempts and errors. Plain SQL over
 * `ctx.storage.sql`; the Durable Object (`durable-objects/delivery-ledger.ts`) decides when to run what.
 *
 * Rows written per delivery: 1 for its key (with the payload beside it, `fresh-queue.ts`), 1 to
 * clear it once handled; a copy of a known key writes nothing. A delivery that fails leaves that fast
 * path for an open row (1 more, and 1 to delete it once handled). An attempt is counted with a write
 * of its own only when the accept did not count it already (a retry, a resumed run).
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";
import type { AcceptStatus } from "./ledger.ts";
import { insertOpenRow, messageIdOf, prepareLedgerTables, readDelivery, routeOf, UNREADABLE, type Unstorable } from "./store-schema.ts";
import { FreshQueue, type FreshRow } from "./fresh-queue.ts";

/**
 * Delivery states: waiting (`pending`), being handled (`running`: only known to the instance running
 * it, never stored), handled (`done`), failed for good (`dead`).
 */
export type DeliveryState = "pending" | "running" | "done" | "dead";

/** A delivery due to run. */
export interface DueDelivery {
  key: string;
  /** The conversation's chat GUID: its deliveries run one at a time, oldest first. */
  chat: string;
  delivery: VerifiedDelivery;
  /** Attempts counted so far (the accept may have counted the one about to start). */
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
  delivery: string | null;
  attempts: number;
}

/** A key's open row, when it has one. */
interface OpenRow extends Record<string, SqlStorageValue> {
  state: "pending" | "dead";
  attempts: number;
  last_error: string | null;
}

/**
 * Largest stored delivery, in UTF-8 bytes (a Durable Object's SQLite refuses values over 2 MB; a
 * webhook body is at most 1 MiB). A larger one is kept as a dead letter without its payload.
 */
export const MAX_STORED_DELIVERY_BYTES = 1_536 * 1024;

/** Called when the store itself moves a delivery to the dead letters (one it cannot keep or read back). */
export type OnBuried = (letter: DeadLetter) => void;

const encoder = new TextEncoder();

/** True for SQLite refusing a value for its size (`SQLITE_TOOBIG`). */
function isTooBig(error: unknown): boolean {
  return error instanceof Error && /too ?big|string or blob too/i.test(error.message);
}

/**
 * Handled keys are remembered this long (far past any sender's retries), counted from their accept
 * (or from when they were handled, after a retry or a replay), then pruned.
 */
export const DONE_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** Dead letters are kept this long for a replay. */
export const DEAD_RETENTION_MS = 30 * 24 * 3600 * 1000;

function statusOf(state: DeliveryState): AcceptStatus {
  return state === "done" ? "duplicate" : state === "dead" ? "dead-letter" : "in-flight";
}

/** Runs `body` as is (a store without a transaction function: each statement commits by itself). */
const untransacted = <T>(body: () => T): T => body();

/** `AND chat NOT IN (?, …)` for the conversations in `busy` (nothing when empty), with its parameters. */
function notIn(busy: ReadonlySet<string>): { sql: string; params: string[] } {
  const params = [...busy];
  return { sql: params.length > 0 ? `AND chat NOT IN (${params.map(() => "?").join(", ")})` : "", params };
}

/** The tables of one `DeliveryLedger` Durable Object. */
export class LedgerStore {
  private readonly sql: SqlStorage;
  private readonly transact: <T>(body: () => T) => T;
  /** The deliveries on the fast path (memory, and their `seen` rows). */
  private readonly fresh: FreshQueue;
  /**
   * Whether `open_deliveries` may hold a waiting row (undefined: not known, looked up once when asked):
   * usually it holds none, and the drain's queries of it are skipped.
   */
  private openPending: boolean | undefined;

  private hasOpenPending(): boolean {
    this.openPending ??= this.sql.exec("SELECT 1 FROM open_deliveries WHERE state = 'pending' LIMIT 1").toArray().length > 0;
    return this.openPending;
  }

  /** `transact`: `ctx.storage.transactionSync` (a key and its open row are written together, or neither). */
  constructor(sql: SqlStorage, transact: <T>(body: () => T) => T = untransacted) {
    this.sql = sql;
    this.transact = transact;
    prepareLedgerTables(sql, transact);
    this.fresh = new FreshQueue(sql, transact);
  }

  /** Hands the dead letter the store just made of `key` to `onBuried`. */
  private reportBuried(key: string, onBuried: OnBuried | undefined): void {
    const letter = this.deadLetters(key)[0];
    if (letter) onBuried?.(letter);
  }

  /**
   * Reads back the fast-path deliveries of an object whose isolate may have died with some queued
   * (call it when the object starts with an alarm set); one that cannot be read is buried.
   */
  recover(now: number, onBuried?: OnBuried): void {
    for (const key of this.fresh.recover(now)) this.reportBuried(key, onBuried);
  }

  /**
   * Records a delivery once; a known key reports what became of it instead (reads only). A
   * delivery too big to store is recorded as a dead letter at once (with the reason, without its
   * payload: it cannot be replayed) and reported to `onBuried`. `countFirstAttempt`: the caller
   * starts running it right away, so its first attempt is counted by this insert (no write of its own).
   */
  accept(key: string, delivery: VerifiedDelivery, now: number, onBuried?: OnBuried, countFirstAttempt = false): AcceptStatus {
    const known = this.stateOf(key, onBuried);
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
        this.fresh.add(key, chat, delivery, payload, now, countFirstAttempt ? 1 : 0);
        return "accepted";
      } catch (error) {
        if (!isTooBig(error)) throw error;
      }
    }
    const reason =
      payload === undefined
        ? "the delivery cannot be serialized to store it; it cannot be replayed"
        : `the delivery is too big to store (${bytes} bytes of JSON, at most ${MAX_STORED_DELIVERY_BYTES}); it cannot be replayed`;
    const stub: Unstorable = { messageId: String(delivery.messageId).slice(0, 1024), unstorable: reason };
    this.insertDead(key, chat, JSON.stringify(stub), delivery, now, reason);
    this.reportBuried(key, onBuried);
    return "dead-letter";
  }

  /** A key's open row (found by its `seen.ref`, the key checked: rowids of deleted rows are reused). */
  private openRow(key: string, onBuried?: OnBuried): { seen: boolean; attempts: number | null; open?: OpenRow } {
    const seen = this.sql.exec<{ ref: number; attempts: number | null }>("SELECT ref, attempts FROM seen WHERE key = ?", key).toArray()[0];
    if (!seen) return { seen: false, attempts: null };
    if (seen.ref < 0) {
      // On the fast path: queued in memory, or adopted now (its isolate died before a watchdog stood behind it).
      if (!this.fresh.get(key)) {
        const row = this.sql.exec<FreshRow & Record<string, SqlStorageValue>>("SELECT key, ref, at, attempts, chat, payload FROM seen WHERE key = ?", key).one();
        if (!this.fresh.adoptOrBury(row, Date.now())) {
          this.reportBuried(key, onBuried);
          return this.openRow(key);
        }
      }
      return { seen: true, attempts: seen.attempts, open: { state: "pending", attempts: seen.attempts ?? 0, last_error: null } };
    }
    const open = this.sql
      .exec<OpenRow>("SELECT state, attempts, last_error FROM open_deliveries WHERE rowid = ? AND key = ?", seen.ref, key)
      .toArray()[0];
    return { seen: true, attempts: seen.attempts, open };
  }

  private stateOf(key: string, onBuried?: OnBuried): DeliveryState | undefined {
    const row = this.openRow(key, onBuried);
    return row.seen ? (row.open?.state ?? "done") : undefined;
  }

  /** Records a delivery that cannot be kept as a dead letter at once: its open row (the stub payload) and its key. */
  private insertDead(key: string, chat: string, payload: string, delivery: VerifiedDelivery, now: number, error: string): void {
    this.transact(() => {
      const ref = insertOpenRow(this.sql, {
        key,
        chat,
        state: "dead",
        attempts: 0,
        nextAt: now,
        channel: delivery.channel,
        webhookId: delivery.webhookId,
        error,
        receivedAt: now,
        updatedAt: now,
        payload,
      });
      this.sql.exec("INSERT INTO seen (key, ref, at) VALUES (?, ?, ?)", key, ref, now);
    });
  }

  /**
   * The oldest delivery due by `now` in a conversation not in `busy` (those already have a delivery
   * running in this object), including one whose run died with its isolate. At most 90 busy
   * conversations (SQLite's bound-parameter limit in Durable Objects is 100).
   */
  nextDue(now: number, busy: ReadonlySet<string> = new Set(), onBuried?: OnBuried): DueDelivery | undefined {
    const skip = notIn(busy);
    for (;;) {
      const row = this.hasOpenPending()
        ? this.sql
            .exec<Row>(
              `SELECT key, chat, attempts, delivery FROM open_deliveries WHERE state = 'pending' AND next_at <= ? ${skip.sql}
               ORDER BY rowid LIMIT 1`,
              now,
              ...skip.params,
            )
            .toArray()[0]
        : undefined;
      if (!row) {
        const entry = this.fresh.next(busy);
        return entry && { key: entry.key, chat: entry.chat, delivery: entry.delivery, attempts: entry.attempts };
      }
      const delivery = readDelivery(row.delivery);
      if (delivery) return { key: row.key, chat: row.chat, delivery, attempts: row.attempts };
      // Unreadable: it can never run; bury it with the reason so the next delivery is not held behind it.
      const letter = this.bury(row.key, UNREADABLE, now);
      if (letter) onBuried?.(letter);
    }
  }

  /** When the next waiting delivery is due, if any, leaving out the conversations in `busy` (at most 90). */
  nextDueAt(busy: ReadonlySet<string> = new Set()): number | undefined {
    const skip = notIn(busy);
    const at = this.hasOpenPending()
      ? this.sql
          .exec<{ at: number | null }>(`SELECT MIN(next_at) AS at FROM open_deliveries WHERE state = 'pending' ${skip.sql}`, ...skip.params)
          .one().at
      : null;
    const fresh = this.fresh.nextAt(busy);
    return at === null ? fresh : fresh === undefined ? at : Math.min(at, fresh);
  }

  /** The webhook route path of the newest waiting delivery that recorded one (see `VerifiedDelivery.path`). */
  routePath(): string | undefined {
    const fresh = this.fresh.routePath();
    if (fresh) return fresh;
    if (!this.hasOpenPending()) return undefined;
    const rows = this.sql.exec<{ delivery: string | null }>(
      "SELECT delivery FROM open_deliveries WHERE state = 'pending' ORDER BY rowid DESC LIMIT 20",
    );
    for (const row of rows) {
      const path = routeOf(readDelivery(row.delivery));
      if (path) return path;
    }
    return undefined;
  }

  /** Counts one more attempt of a delivery about to run (one not counted by its accept). */
  start(key: string, now: number): void {
    const entry = this.fresh.get(key);
    if (entry) return this.fresh.start(entry);
    this.sql.exec(
      "UPDATE open_deliveries SET attempts = attempts + 1, updated_at = ? WHERE rowid = (SELECT ref FROM seen WHERE key = ?) AND key = ?",
      now,
      key,
      key,
    );
  }

  /**
   * A delivery was handled at attempt `attempt`: its open row is deleted, its key kept for dedupe.
   * The key's row is written only after more than one attempt (how many; and from when its retention runs).
   */
  finish(key: string, now: number, attempt = 1): void {
    const entry = this.fresh.get(key);
    if (entry) return this.fresh.finish(entry, now, attempt);
    this.openPending = undefined;
    this.transact(() => {
      this.sql.exec("DELETE FROM open_deliveries WHERE rowid = (SELECT ref FROM seen WHERE key = ?) AND key = ?", key, key);
      if (attempt > 1) this.sql.exec("UPDATE seen SET at = ?, attempts = ? WHERE key = ?", now, attempt, key);
    });
  }

  /** Puts a failed delivery back for another attempt at `nextAt`; `countAttempt: false` gives the attempt back. */
  retryAt(key: string, nextAt: number, error: string, now: number, countAttempt = true): void {
    const entry = this.fresh.get(key);
    if (entry) {
      this.fresh.moveToOpen(entry, "pending", nextAt, Math.max(entry.attempts - (countAttempt ? 0 : 1), 0), error.slice(0, 1000), now);
      this.openPending = true;
      return;
    }
    this.sql.exec(
      `UPDATE open_deliveries SET next_at = ?, last_error = ?, updated_at = ?, attempts = MAX(attempts - ?, 0)
       WHERE rowid = (SELECT ref FROM seen WHERE key = ?) AND key = ?`,
      nextAt,
      error.slice(0, 1000),
      now,
      countAttempt ? 0 : 1,
      key,
      key,
    );
  }

  /** Moves a delivery to the dead letters. */
  bury(key: string, error: string, now: number): DeadLetter | undefined {
    const entry = this.fresh.get(key);
    if (entry) {
      this.fresh.moveToOpen(entry, "dead", now, entry.attempts, error.slice(0, 1000), now);
      return this.deadLetters(key)[0];
    }
    this.openPending = undefined;
    this.sql.exec(
      "UPDATE open_deliveries SET state = 'dead', last_error = ?, updated_at = ? WHERE rowid = (SELECT ref FROM seen WHERE key = ?) AND key = ?",
      error.slice(0, 1000),
      now,
      key,
      key,
    );
    return this.deadLetters(key)[0];
  }

  /** Every dead letter of this ledger, or only the one stored under `key`; an unreadable payload does not hide the others. */
  deadLetters(key?: string): DeadLetter[] {
    return this.sql
      .exec<{ key: string; chat: string; delivery: string | null; channel: string; webhook_id: string | null; attempts: number; last_error: string | null; received_at: number; updated_at: number }>(
        `SELECT key, chat, delivery, channel, webhook_id, attempts, last_error, received_at, updated_at FROM open_deliveries
         WHERE state = 'dead' ${key === undefined ? "" : "AND rowid = (SELECT ref FROM seen WHERE key = ?) AND key = ?"} ORDER BY rowid`,
        ...(key === undefined ? [] : [key, key]),
      )
      .toArray()
      .map((row) => ({
        key: row.key,
        messageId: messageIdOf(row.key, row.delivery),
        chatGuid: row.chat,
        channel: row.channel,
        webhookId: row.webhook_id,
        attempts: row.attempts,
        error: row.last_error ?? "",
        receivedAt: row.received_at,
        failedAt: row.updated_at,
      }));
  }

  /** Puts a dead letter back in line with a fresh attempt budget; false when `key` is not a dead letter or has no payload to replay. */
  revive(key: string, now: number): boolean {
    const where = "rowid = (SELECT ref FROM seen WHERE key = ?) AND key = ? AND state = 'dead'";
    const row = this.sql.exec<{ delivery: string | null }>(`SELECT delivery FROM open_deliveries WHERE ${where}`, key, key).toArray()[0];
    if (!row || !readDelivery(row.delivery)) return false;
    return this.transact(() => {
      // Its key's retention runs again from now: a copy sent after the replay is still recognized.
      this.sql.exec("UPDATE seen SET at = ? WHERE key = ?", now, key);
      this.openPending = true;
      return this.sql.exec(`UPDATE open_deliveries SET state = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE ${where} RETURNING key`, now, now, key, key).toArray().length > 0;
    });
  }

  /** The state of one key (tests, diagnostics); an open delivery reads `pending` here (the ledger knows whether it runs). */
  inspect(key: string): { state: DeliveryState; attempts: number; lastError: string | null } | null {
    const row = this.openRow(key);
    if (!row.seen) return null;
    if (row.open) return { state: row.open.state, attempts: row.open.attempts, lastError: row.open.last_error };
    return { state: "done", attempts: row.attempts ?? 1, lastError: null };
  }

  /** Forgets handled keys and dead letters past their retention; returns how many keys remain. */
  prune(now: number): number {
    this.sql.exec("DELETE FROM open_deliveries WHERE state = 'dead' AND updated_at < ?", now - DEAD_RETENTION_MS);
    this.sql.exec(
      `DELETE FROM seen WHERE at < ? AND ref >= 0 AND NOT EXISTS (SELECT 1 FROM open_deliveries o WHERE o.rowid = seen.ref AND o.key = seen.key)`,
      now - DONE_RETENTION_MS,
    );
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seen").one().n;
  }
}
