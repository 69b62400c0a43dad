/**
 * @module durable-objects/chat-state
 * Chat SDK state on Durable Object SQLite: cache with TTL, lists, thread locks, subscriptions, per-thread queues.
 */
import { DurableObject } from "cloudflare:workers";

import type { ChatStateRpc, StoredLock } from "../state/chat-state-rpc.ts";
import type { iMessageBindings } from "./bindings.ts";

export type { StoredLock };

/**
 * One shard of Chat SDK state. Values are JSON strings (the client serializes); expired rows
 * read as absent and are pruned by an alarm. Every method is atomic under the input gate.
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
      `);
    });
  }

  private get sql(): SqlStorage {
    return this.ctx.storage.sql;
  }

  get(key: string): string | null {
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM cache WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)", key, Date.now())
      .toArray()[0];
    return row?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const expiresAt = ttlMs ? Date.now() + ttlMs : null;
    this.sql.exec("INSERT OR REPLACE INTO cache (key, value, expires_at) VALUES (?, ?, ?)", key, value, expiresAt);
    if (expiresAt) await this.schedulePrune(expiresAt);
  }

  async setIfNotExists(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const now = Date.now();
    this.sql.exec("DELETE FROM cache WHERE key = ? AND expires_at IS NOT NULL AND expires_at <= ?", key, now);
    const expiresAt = ttlMs ? now + ttlMs : null;
    const inserted = this.sql
      .exec("INSERT OR IGNORE INTO cache (key, value, expires_at) VALUES (?, ?, ?) RETURNING key", key, value, expiresAt)
      .toArray().length > 0;
    if (inserted && expiresAt) await this.schedulePrune(expiresAt);
    return inserted;
  }

  delete(key: string): void {
    this.sql.exec("DELETE FROM cache WHERE key = ?", key);
    this.sql.exec("DELETE FROM lists WHERE key = ?", key);
  }

  async appendToList(key: string, value: string, maxLength?: number, ttlMs?: number): Promise<void> {
    const expiresAt = ttlMs ? Date.now() + ttlMs : null;
    this.sql.exec("INSERT INTO lists (key, value, expires_at) VALUES (?, ?, ?)", key, value, expiresAt);
    if (expiresAt) {
      // A list's TTL is refreshed by every append, as in the Redis adapter.
      this.sql.exec("UPDATE lists SET expires_at = ? WHERE key = ?", expiresAt, key);
      await this.schedulePrune(expiresAt);
    }
    if (maxLength && maxLength > 0) {
      this.sql.exec(
        "DELETE FROM lists WHERE key = ? AND seq NOT IN (SELECT seq FROM lists WHERE key = ? ORDER BY seq DESC LIMIT ?)",
        key,
        key,
        maxLength,
      );
    }
  }

  getList(key: string): string[] {
    return this.sql
      .exec<{ value: string }>(
        "SELECT value FROM lists WHERE key = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq",
        key,
        Date.now(),
      )
      .toArray()
      .map((row) => row.value);
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
    this.sql.exec("INSERT INTO queue (thread_id, entry, expires_at) VALUES (?, ?, ?)", threadId, entry, expiresAt);
    if (maxSize > 0) {
      // Over capacity, the oldest entries give way (the Chat SDK's documented queue behaviour).
      this.sql.exec(
        "DELETE FROM queue WHERE thread_id = ? AND seq NOT IN (SELECT seq FROM queue WHERE thread_id = ? ORDER BY seq DESC LIMIT ?)",
        threadId,
        threadId,
        maxSize,
      );
    }
    await this.schedulePrune(expiresAt);
    return this.queueDepth(threadId);
  }

  dequeue(threadId: string): string | null {
    this.sql.exec("DELETE FROM queue WHERE thread_id = ? AND expires_at <= ?", threadId, Date.now());
    const row = this.sql
      .exec<{ seq: number; entry: string }>("SELECT seq, entry FROM queue WHERE thread_id = ? ORDER BY seq LIMIT 1", threadId)
      .toArray()[0];
    if (!row) return null;
    this.sql.exec("DELETE FROM queue WHERE seq = ?", row.seq);
    return row.entry;
  }

  queueDepth(threadId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM queue WHERE thread_id = ?", threadId).one().n;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM cache WHERE expires_at IS NOT NULL AND expires_at <= ?", now);
    this.sql.exec("DELETE FROM lists WHERE expires_at IS NOT NULL AND expires_at <= ?", now);
    this.sql.exec("DELETE FROM locks WHERE expires_at <= ?", now);
    this.sql.exec("DELETE FROM queue WHERE expires_at <= ?", now);
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(at) AS at FROM (
           SELECT MIN(expires_at) AS at FROM cache UNION ALL SELECT MIN(expires_at) FROM lists
           UNION ALL SELECT MIN(expires_at) FROM locks UNION ALL SELECT MIN(expires_at) FROM queue)`,
      )
      .one().at;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now + 1000));
  }

  private async schedulePrune(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
