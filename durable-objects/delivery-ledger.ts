/**
 * @module durable-objects/delivery-ledger
 * The source of truth for exactly-once delivery handling: an atomic claim with a lease per delivery key.
 */
import { DurableObject } from "cloudflare:workers";

/** What a claim attempt found. `claimed` carries the token that completes or releases it. */
export type ClaimResult =
  | { verdict: "claimed"; token: string; attempt: number }
  | { verdict: "duplicate" }
  | { verdict: "in-flight"; retryAfterMs: number };

interface ClaimRow extends Record<string, SqlStorageValue> {
  state: "processing" | "done" | "failed";
  token: string;
  lease_until: number;
  attempts: number;
}

/** Finished and failed claims are kept this long (well past Spectrum's retry window), then pruned. */
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * One shard of the delivery ledger. Each method runs to completion before the next starts
 * (a Durable Object's input gate), so check-then-write inside one method is atomic.
 *
 * @example
 * ```ts
 * const claim = await env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName("ledger-0")).claim(key, 120_000);
 * ```
 */
export class DeliveryLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS claims (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        token TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        updated_at INTEGER NOT NULL
      )`);
    });
  }

  /** Claims `key` for `leaseMs`, unless it is done or another claim's lease is still running. */
  claim(key: string, leaseMs: number): ClaimResult {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const row = sql.exec<ClaimRow>("SELECT state, token, lease_until, attempts FROM claims WHERE key = ?", key).toArray()[0];
    if (row?.state === "done") return { verdict: "duplicate" };
    if (row?.state === "processing" && row.lease_until > now) {
      return { verdict: "in-flight", retryAfterMs: row.lease_until - now };
    }
    const token = crypto.randomUUID();
    const attempt = (row?.attempts ?? 0) + 1;
    sql.exec(
      `INSERT INTO claims (key, state, token, lease_until, attempts, updated_at) VALUES (?, 'processing', ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET state = 'processing', token = excluded.token, lease_until = excluded.lease_until,
         attempts = excluded.attempts, updated_at = excluded.updated_at`,
      key,
      token,
      now + leaseMs,
      attempt,
      now,
    );
    return { verdict: "claimed", token, attempt };
  }

  /** Marks the claim done: every later copy is a duplicate. False when the lease was lost to another claim. */
  async complete(key: string, token: string): Promise<boolean> {
    const cursor = this.ctx.storage.sql.exec(
      "UPDATE claims SET state = 'done', updated_at = ? WHERE key = ? AND token = ? RETURNING key",
      Date.now(),
      key,
      token,
    );
    const updated = cursor.toArray().length > 0;
    await this.schedulePrune();
    return updated;
  }

  /** Pushes the lease of a claim still being processed; false when another claim took it over. */
  extend(key: string, token: string, leaseMs: number): boolean {
    return (
      this.ctx.storage.sql
        .exec(
          "UPDATE claims SET lease_until = ?, updated_at = ? WHERE key = ? AND token = ? AND state = 'processing' RETURNING key",
          Date.now() + leaseMs,
          Date.now(),
          key,
          token,
        )
        .toArray().length > 0
    );
  }

  /** Gives the claim back after a failure, so the next delivery of the same key is processed. */
  async release(key: string, token: string, error: string): Promise<void> {
    this.ctx.storage.sql.exec(
      "UPDATE claims SET state = 'failed', lease_until = 0, last_error = ?, updated_at = ? WHERE key = ? AND token = ?",
      error.slice(0, 500),
      Date.now(),
      key,
      token,
    );
    await this.schedulePrune();
  }

  /** Records a finished marker (e.g. which channel handled a message); kept as long as finished claims. */
  async mark(key: string, value: string): Promise<void> {
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO claims (key, state, token, lease_until, attempts, updated_at) VALUES (?, 'done', ?, 0, 1, ?)`,
      key,
      value,
      Date.now(),
    );
    await this.schedulePrune();
  }

  /** The value of a marker written by {@link mark}, or null. */
  markOf(key: string): string | null {
    const row = this.ctx.storage.sql
      .exec<{ token: string }>("SELECT token FROM claims WHERE key = ? AND state = 'done'", key)
      .toArray()[0];
    return row?.token ?? null;
  }

  /** The stored state of one key, for diagnostics and tests. */
  inspect(key: string): { state: string; attempts: number; lastError: string | null } | null {
    const row = this.ctx.storage.sql
      .exec<{ state: string; attempts: number; last_error: string | null }>(
        "SELECT state, attempts, last_error FROM claims WHERE key = ?",
        key,
      )
      .toArray()[0];
    return row ? { state: row.state, attempts: row.attempts, lastError: row.last_error } : null;
  }

  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM claims WHERE state != 'processing' AND updated_at < ?", Date.now() - RETENTION_MS);
    const left = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM claims").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + RETENTION_MS / 7);
  }

  private async schedulePrune(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + RETENTION_MS / 7);
    }
  }
}
