/**
 * @module ledger/fresh-queue
 * The fast path of a delivery ledger: a delivery whose conversation has nothing waiting is stored in
 * its `seen` row alone (`ref` < 0, the payload beside the key: 1 row written) and queued in memory;
 * once handled, that row is updated to a plain key (1 row written). 2 rows per delivery instead of 3.
 *
 * Memory is the queue while the object lives. Whenever a fast-path row exists, a watchdog alarm is
 * set (the ledger sets it before answering), so an object that starts with an alarm set reads the
 * fast-path rows back with {@link FreshQueue.recover} (one scan of `seen`, only then); a row found by
 * its key that memory does not hold (its alarm was lost with the isolate before it was set) is
 * adopted when its copy arrives. A delivery that fails, or is buried, leaves the fast path for
 * `open_deliveries`; the ledger runs due rows there before the fast path's, so a conversation's
 * older deliveries still go first (one waiting for its retry is overtaken, as before).
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { insertOpenRow, readDelivery, routeOf, UNREADABLE, type OpenRowValues } from "./store-schema.ts";

/** A delivery on the fast path. */
export interface FreshDelivery {
  key: string;
  chat: string;
  delivery: VerifiedDelivery;
  /** Attempts counted so far (its accept counts the first when it starts at once). */
  attempts: number;
  /** When it was accepted. */
  at: number;
  /** Arrival order (its `seen.ref` is the negative of it). */
  seq: number;
}

/** A `seen` row on the fast path, as read back. */
export interface FreshRow {
  key: string;
  ref: number;
  at: number;
  attempts: number | null;
  chat: string | null;
  payload: string | null;
}

/** The fast-path deliveries of one ledger, in arrival order. */
export class FreshQueue {
  private readonly sql: SqlStorage;
  private readonly transact: <T>(body: () => T) => T;
  private readonly queue = new Map<string, FreshDelivery>();
  private lastSeq = 0;

  constructor(sql: SqlStorage, transact: <T>(body: () => T) => T) {
    this.sql = sql;
    this.transact = transact;
  }

  get(key: string): FreshDelivery | undefined {
    return this.queue.get(key);
  }

  /** Stores a delivery on the fast path (its `seen` row, 1 row written) and queues it. */
  add(key: string, chat: string, delivery: VerifiedDelivery, payload: string, now: number, attempts: number): void {
    const seq = Math.max(now * 1000, this.lastSeq + 1);
    this.lastSeq = seq;
    this.sql.exec("INSERT INTO seen (key, ref, at, attempts, chat, payload) VALUES (?, ?, ?, ?, ?, ?)", key, -seq, now, attempts, chat, payload);
    this.queue.set(key, { key, chat, delivery, attempts, at: now, seq });
  }

  /** The oldest queued delivery of a conversation not in `busy`. */
  next(busy: ReadonlySet<string>): FreshDelivery | undefined {
    for (const entry of this.queue.values()) if (!busy.has(entry.chat)) return entry;
    return undefined;
  }

  /** When the oldest queued delivery of a conversation not in `busy` was accepted (it is due since). */
  nextAt(busy: ReadonlySet<string>): number | undefined {
    return this.next(busy)?.at;
  }

  /** Counts one more attempt (1 row written). */
  start(entry: FreshDelivery): void {
    this.sql.exec("UPDATE seen SET attempts = ? WHERE key = ?", entry.attempts + 1, entry.key);
    entry.attempts += 1;
  }

  /** Handled at `attempt`: the row becomes a plain key (1 row written). */
  finish(entry: FreshDelivery, now: number, attempt: number): void {
    // Written first: should the write fail, the entry stays queued as its row says.
    if (attempt > 1) {
      this.sql.exec("UPDATE seen SET ref = 0, payload = NULL, chat = NULL, attempts = ?, at = ? WHERE key = ?", attempt, now, entry.key);
    } else {
      this.sql.exec("UPDATE seen SET ref = 0, payload = NULL, chat = NULL, attempts = NULL WHERE key = ?", entry.key);
    }
    this.queue.delete(entry.key);
  }

  /**
   * Takes a delivery off the fast path to an open row (`pending` for a retry at `nextAt`, or `dead`),
   * its `seen.ref` pointed there and the payload moved with it (2 rows written).
   */
  moveToOpen(entry: FreshDelivery, state: "pending" | "dead", nextAt: number, attempts: number, error: string | null, now: number): void {
    this.toOpenRow({
      key: entry.key,
      chat: entry.chat,
      state,
      attempts,
      nextAt,
      channel: entry.delivery.channel,
      webhookId: entry.delivery.webhookId,
      error,
      receivedAt: entry.at,
      updatedAt: now,
      payload: JSON.stringify(entry.delivery),
    });
    // Only once the move committed: should it fail, the entry stays queued as its row says.
    this.queue.delete(entry.key);
  }

  /** Inserts the open row and points the key's `seen.ref` at it, clearing the fast-path columns, together. */
  private toOpenRow(values: OpenRowValues): void {
    this.transact(() => {
      const ref = insertOpenRow(this.sql, values);
      this.sql.exec("UPDATE seen SET ref = ?, payload = NULL, chat = NULL WHERE key = ?", ref, values.key);
    });
  }

  /** Queues a fast-path row found by its key that memory does not hold; false when it cannot be read. */
  adopt(row: FreshRow): boolean {
    if (this.queue.has(row.key)) return true;
    const delivery = readDelivery(row.payload);
    if (!delivery || row.chat === null) return false;
    const seq = -row.ref;
    this.lastSeq = Math.max(this.lastSeq, seq);
    const entry: FreshDelivery = { key: row.key, chat: row.chat, delivery, attempts: row.attempts ?? 0, at: row.at, seq };
    // Keep arrival order: insert before the first queued entry that arrived after it.
    const after = [...this.queue.values()].filter((other) => other.seq > seq);
    for (const other of after) this.queue.delete(other.key);
    this.queue.set(row.key, entry);
    for (const other of after) this.queue.set(other.key, other);
    return true;
  }

  /**
   * Queues a fast-path row memory does not hold; one whose payload cannot be read back becomes a dead
   * letter with the reason instead (false).
   */
  adoptOrBury(row: FreshRow, now: number): boolean {
    if (this.adopt(row)) return true;
    this.toOpenRow({
      key: row.key,
      chat: row.chat ?? "",
      state: "dead",
      attempts: row.attempts ?? 0,
      nextAt: now,
      channel: undefined,
      webhookId: null,
      error: UNREADABLE,
      receivedAt: row.at,
      updatedAt: now,
      payload: row.payload,
    });
    return false;
  }

  /**
   * Reads every fast-path row back into memory (a scan of `seen`): for an object that starts with an
   * alarm set, which may have had deliveries queued when its isolate died. A row that cannot be read
   * back becomes a dead letter with the reason; their keys are returned.
   */
  recover(now: number): string[] {
    const buried: string[] = [];
    const rows = this.sql
      .exec<FreshRow & Record<string, SqlStorageValue>>("SELECT key, ref, at, attempts, chat, payload FROM seen WHERE ref < 0 ORDER BY ref DESC")
      .toArray();
    for (const row of rows) {
      if (!this.adoptOrBury(row, now)) buried.push(row.key);
    }
    return buried;
  }

  /** The webhook route path of the newest queued delivery that recorded one. */
  routePath(): string | undefined {
    for (const entry of [...this.queue.values()].reverse()) {
      const path = routeOf(entry.delivery);
      if (path) return path;
    }
    return undefined;
  }
}
