/**
 * @module gateway/redelivery-store
 * Failed deliveries waiting for their next attempt, in the gateway Durable Object's SQLite.
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";

/** One delivery due for another attempt. */
export interface DueRedelivery {
  key: string;
  delivery: VerifiedDelivery;
  attempt: number;
}

/**
 * The waiting room of failed deliveries, keyed by delivery (a later failure of the same delivery
 * replaces the earlier entry).
 */
export class RedeliveryStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS redeliveries (
      key TEXT PRIMARY KEY,
      delivery TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      last_error TEXT NOT NULL
    )`);
  }

  /** Stores a delivery to run again at `dueAt`. */
  put(key: string, delivery: VerifiedDelivery, attempt: number, dueAt: number, error: string): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO redeliveries (key, delivery, attempt, due_at, last_error) VALUES (?, ?, ?, ?, ?)",
      key,
      JSON.stringify(delivery),
      attempt,
      dueAt,
      error.slice(0, 500),
    );
  }

  /** Removes and returns the deliveries due by `now` (at most `limit`). */
  takeDue(now: number, limit = 50): DueRedelivery[] {
    const rows = this.sql
      .exec<{ key: string; delivery: string; attempt: number }>(
        "SELECT key, delivery, attempt FROM redeliveries WHERE due_at <= ? ORDER BY due_at LIMIT ?",
        now,
        limit,
      )
      .toArray();
    for (const row of rows) this.sql.exec("DELETE FROM redeliveries WHERE key = ?", row.key);
    return rows.map((row) => ({ key: row.key, attempt: row.attempt, delivery: JSON.parse(row.delivery) as VerifiedDelivery }));
  }

  /** When the next delivery is due, if any waits. */
  nextDue(): number | undefined {
    const at = this.sql.exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM redeliveries").one().at;
    return at ?? undefined;
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM redeliveries").one().n;
  }
}
