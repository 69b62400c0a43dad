/**
 * @module durable-objects/chat-state
 * Chat SDK state on Durable Object SQLite: cache with TTL, lists, thread locks, subscriptions, per-thread queues.
 */
import { DurableObject } from "cloudflare:workers";

import type { ChatStateRpc, StoredLock } from "../state/chat-state-rpc.ts";
import { assertValueSize, RPC_LIMIT_BYTES, splitUtf8 } from "../state/value-size.ts";
import type { iMessageBindings } from "./bindings.ts";

export type { StoredLock };

/** The tables whose rows hold a value, and the column naming a row (the `id` of its chunks). */
const VALUE_TABLES = { cache: "key", lists: "seq", queue: "seq" } as const;
type ValueTable = keyof typeof VALUE_TABLES;

/**
 * One shard of Chat SDK state. Values are JSON strings (the client serializes); expired rows
 * read as absent and are pruned by an alarm. Every method is atomic under the input gate.
 *
 * Values of any size up to `MAX_VALUE_BYTES` (15 MiB, under the 32 MiB RPC limit): one that fits a
 * cell (`CHUNK_BYTES`, 1 MiB of UTF-8; deployed SQLite refuses 2 MB) is stored in its row as always; a
 * bigger one leaves its row's value empty, records its number of pieces in `chunks`, and keeps the
 * pieces in the `chunks` table, written, read and removed with the row in one synchronous transaction.
 */
export class ChatStateDO<E extends object = iMessageBindings> extends DurableObject<E> implements ChatStateRpc {
  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`
        CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
        CREATE TABLE IF NOT EXISTS lists (key TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, value TEXT NOT NULL, expires_at INTEGER);
        CREATE INDEX IF NOT EXISTS lists_key ON lists (key, seq);
        CREATE TABLE IF NOT EXISTS locks (thread_id TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS subscriptions (thread_id TEXT PRIMARY KEY, since INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS queue (thread_id TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL, expires_at INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS queue_thread ON queue (thread_id, seq);
        CREATE TABLE IF NOT EXISTS chunks (owner TEXT NOT NULL, id NOT NULL, idx INTEGER NOT NULL, piece TEXT NOT NULL,
          PRIMARY KEY (owner, id, idx)) WITHOUT ROWID;
      `);
      // Shards created before chunking lack the column: add it (NULL, "stored inline", for every row).
      for (const table of Object.keys(VALUE_TABLES)) {
        const columns = ctx.storage.sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray();
        if (!columns.some((column) => column.name === "chunks")) ctx.storage.sql.exec(`ALTER TABLE ${table} ADD COLUMN chunks INTEGER`);
      }
    });
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  get(key: string): string | null {
    const row = this.sql
      .exec<StoredValue>("SELECT value, chunks FROM cache WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)", key, Date.now())
      .toArray()[0];
    return row ? this.readValue("cache", key, row) : null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const pieces = this.pieces(key, value);
    const expiresAt = ttlMs ? Date.now() + ttlMs : null;
    this.ctx.storage.transactionSync(() => {
      this.dropChunks("cache", "key = ?", key);
      this.sql.exec(
        "INSERT OR REPLACE INTO cache (key, value, chunks, expires_at) VALUES (?, ?, ?, ?)",
        key,
        ...this.cells(pieces),
        expiresAt,
      );
      this.writeChunks("cache", key, pieces);
    });
    if (expiresAt) await this.schedulePrune(expiresAt);
  }

  async setIfNotExists(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const pieces = this.pieces(key, value);
    const now = Date.now();
    const expiresAt = ttlMs ? now + ttlMs : null;
    const inserted = this.ctx.storage.transactionSync(() => {
      const expired = "key = ? AND expires_at IS NOT NULL AND expires_at <= ?";
      this.dropChunks("cache", expired, key, now);
      this.sql.exec(`DELETE FROM cache WHERE ${expired}`, key, now);
      const [inline, chunks] = this.cells(pieces);
      const done =
        this.sql
          .exec("INSERT OR IGNORE INTO cache (key, value, chunks, expires_at) VALUES (?, ?, ?, ?) RETURNING key", key, inline, chunks, expiresAt)
          .toArray().length > 0;
      if (done) this.writeChunks("cache", key, pieces);
      return done;
    });
    if (inserted && expiresAt) await this.schedulePrune(expiresAt);
    return inserted;
  }

  delete(key: string): void {
    this.ctx.storage.transactionSync(() => {
      this.dropChunks("cache", "key = ?", key);
      this.sql.exec("DELETE FROM cache WHERE key = ?", key);
      this.dropChunks("lists", "key = ?", key);
      this.sql.exec("DELETE FROM lists WHERE key = ?", key);
    });
  }

  async appendToList(key: string, value: string, maxLength?: number, ttlMs?: number): Promise<void> {
    const pieces = this.pieces(key, value);
    const expiresAt = ttlMs ? Date.now() + ttlMs : null;
    this.ctx.storage.transactionSync(() => {
      const { seq } = this.sql
        .exec<{ seq: number }>("INSERT INTO lists (key, value, chunks, expires_at) VALUES (?, ?, ?, ?) RETURNING seq", key, ...this.cells(pieces), expiresAt)
        .one();
      this.writeChunks("lists", seq, pieces);
      // A list's TTL is refreshed by every append, as in the Redis adapter.
      if (expiresAt) this.sql.exec("UPDATE lists SET expires_at = ? WHERE key = ?", expiresAt, key);
      if (maxLength && maxLength > 0) {
        const trimmed = "key = ? AND seq NOT IN (SELECT seq FROM lists WHERE key = ? ORDER BY seq DESC LIMIT ?)";
        this.dropChunks("lists", trimmed, key, key, maxLength);
        this.sql.exec(`DELETE FROM lists WHERE ${trimmed}`, key, key, maxLength);
      }
    });
    if (expiresAt) await this.schedulePrune(expiresAt);
  }

  getList(key: string): string[] {
    const values = this.sql
      .exec<StoredValue & { seq: number }>(
        "SELECT seq, value, chunks FROM lists WHERE key = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq",
        key,
        Date.now(),
      )
      .toArray()
      .map((row) => this.readValue("lists", row.seq, row));
    // Each value fits an RPC message; a list of big ones may not (two bytes a code unit at worst).
    const size = 2 * values.reduce((sum, value) => sum + value.length, 0);
    if (size > RPC_LIMIT_BYTES - 1024 * 1024) {
      throw new Error(`chat state: list "${key}" is up to ${size} bytes over RPC, whose messages are limited to ${RPC_LIMIT_BYTES} bytes; append with a smaller maxLength`);
    }
    return values;
  }

  async acquireLock(threadId: string, ttlMs: number): Promise<StoredLock | null> {
    const now = Date.now();
    const held = this.sql
      .exec<{ expires_at: number }>("SELECT expires_at FROM locks WHERE thread_id = ?", threadId)
      .toArray()[0];
    if (held && held.expires_at > now) return null;
    const lock = { threadId, token: crypto.randomUUID(), expiresAt: now + ttlMs };
    this.sql.exec("INSERT OR REPLACE INTO locks (thread_id, token, expires_at) VALUES (?, ?, ?)", threadId, lock.token, lock.expiresAt);
    await this.schedulePrune(lock.expiresAt);
    return lock;
  }

  extendLock(lock: StoredLock, ttlMs: number): boolean {
    const now = Date.now();
    return (
      this.sql
        .exec(
          "UPDATE locks SET expires_at = ? WHERE thread_id = ? AND token = ? AND expires_at > ? RETURNING thread_id",
          now + ttlMs,
          lock.threadId,
          lock.token,
          now,
        )
        .toArray().length > 0
    );
  }

  releaseLock(lock: StoredLock): void {
    this.sql.exec("DELETE FROM locks WHERE thread_id = ? AND token = ?", lock.threadId, lock.token);
  }

  forceReleaseLock(threadId: string): void {
    this.sql.exec("DELETE FROM locks WHERE thread_id = ?", threadId);
  }

  subscribe(threadId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO subscriptions (thread_id, since) VALUES (?, ?)", threadId, Date.now());
  }

  unsubscribe(threadId: string): void {
    this.sql.exec("DELETE FROM subscriptions WHERE thread_id = ?", threadId);
  }

  isSubscribed(threadId: string): boolean {
    return this.sql.exec("SELECT 1 FROM subscriptions WHERE thread_id = ?", threadId).toArray().length > 0;
  }

  async enqueue(threadId: string, entry: string, expiresAt: number, maxSize: number): Promise<number> {
    const pieces = this.pieces(threadId, entry);
    this.ctx.storage.transactionSync(() => {
      const { seq } = this.sql
        .exec<{ seq: number }>("INSERT INTO queue (thread_id, entry, chunks, expires_at) VALUES (?, ?, ?, ?) RETURNING seq", threadId, ...this.cells(pieces), expiresAt)
        .one();
      this.writeChunks("queue", seq, pieces);
      if (maxSize > 0) {
        // Over capacity, the oldest entries give way (the Chat SDK's documented queue behaviour).
        const dropped = "thread_id = ? AND seq NOT IN (SELECT seq FROM queue WHERE thread_id = ? ORDER BY seq DESC LIMIT ?)";
        this.dropChunks("queue", dropped, threadId, threadId, maxSize);
        this.sql.exec(`DELETE FROM queue WHERE ${dropped}`, threadId, threadId, maxSize);
      }
    });
    await this.schedulePrune(expiresAt);
    return this.queueDepth(threadId);
  }

  dequeue(threadId: string): string | null {
    return this.ctx.storage.transactionSync(() => {
      const stale = "thread_id = ? AND expires_at <= ?";
      const now = Date.now();
      this.dropChunks("queue", stale, threadId, now);
      this.sql.exec(`DELETE FROM queue WHERE ${stale}`, threadId, now);
      const row = this.sql
        .exec<{ seq: number; entry: string; chunks: number | null }>(
          "SELECT seq, entry, chunks FROM queue WHERE thread_id = ? ORDER BY seq LIMIT 1",
          threadId,
        )
        .toArray()[0];
      if (!row) return null;
      const entry = this.readValue("queue", row.seq, { value: row.entry, chunks: row.chunks });
      this.dropChunks("queue", "seq = ?", row.seq);
      this.sql.exec("DELETE FROM queue WHERE seq = ?", row.seq);
      return entry;
    });
  }

  queueDepth(threadId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM queue WHERE thread_id = ?", threadId).one().n;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const table of Object.keys(VALUE_TABLES) as ValueTable[]) {
        this.dropChunks(table, "expires_at IS NOT NULL AND expires_at <= ?", now);
        this.sql.exec(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`, now);
      }
      this.sql.exec("DELETE FROM locks WHERE expires_at <= ?", now);
    });
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(at) AS at FROM (
           SELECT MIN(expires_at) AS at FROM cache UNION ALL SELECT MIN(expires_at) FROM lists
           UNION ALL SELECT MIN(expires_at) FROM locks UNION ALL SELECT MIN(expires_at) FROM queue)`,
      )
      .one().at;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now + 1000));
  }

  /** `value` in pieces that each fit a cell (one piece, itself, when it fits), once under the size cap. */
  private pieces(key: string, value: string): string[] {
    assertValueSize(key, value);
    return splitUtf8(value);
  }

  /** The value and `chunks` cells of a row holding `pieces`: the value itself, or "" and the count of pieces. */
  private cells(pieces: string[]): [string, number | null] {
    return pieces.length === 1 ? [pieces[0] as string, null] : ["", pieces.length];
  }

  /** Writes the pieces of a chunked value (nothing for one stored inline). Inside the caller's transaction. */
  private writeChunks(owner: ValueTable, id: string | number, pieces: string[]): void {
    if (pieces.length === 1) return;
    pieces.forEach((piece, idx) => this.sql.exec("INSERT INTO chunks (owner, id, idx, piece) VALUES (?, ?, ?, ?)", owner, id, idx, piece));
  }

  /** Removes the chunks of the rows of `owner` that `where` selects (about to be deleted or replaced). No write when none is chunked. */
  private dropChunks(owner: ValueTable, where: string, ...params: SqlStorageValue[]): void {
    this.sql.exec(
      `DELETE FROM chunks WHERE owner = ? AND id IN (SELECT ${VALUE_TABLES[owner]} FROM ${owner} WHERE chunks IS NOT NULL AND (${where}))`,
      owner,
      ...params,
    );
  }

  /** A row's value: its own cell, or its chunks joined. */
  private readValue(owner: ValueTable, id: string | number, row: StoredValue): string {
    if (row.chunks === null) return row.value;
    const pieces = this.sql
      .exec<{ piece: string }>("SELECT piece FROM chunks WHERE owner = ? AND id = ? ORDER BY idx", owner, id)
      .toArray();
    if (pieces.length !== row.chunks) throw new Error(`chat state: ${owner} value ${String(id)} has ${pieces.length} of its ${row.chunks} chunks`);
    return pieces.map((row) => row.piece).join("");
  }

  private async schedulePrune(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}

/** The value cells of a row of a {@link ValueTable}. */
type StoredValue = {
  value: string;
  chunks: number | null;
};
