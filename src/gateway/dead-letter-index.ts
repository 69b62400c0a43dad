/**
 * @module gateway/dead-letter-index
 * The index of dead letters across conversations, in the gateway Durable Object's SQLite: each
 * conversation's ledger keeps its own failed deliveries (with the payload to replay), and reports
 * them here so one route can list them all.
 */
import type { DeadLetter } from "../delivery/ledger-store.ts";

/** A dead letter and the ledger (conversation) that holds it. */
export interface IndexedDeadLetter extends DeadLetter {
  conversation: string;
}

/** Dead letters indexed by delivery key. */
export class DeadLetterIndex {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      key TEXT PRIMARY KEY,
      conversation TEXT NOT NULL,
      letter TEXT NOT NULL,
      failed_at INTEGER NOT NULL
    )`);
  }

  put(conversation: string, letter: DeadLetter): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO dead_letters (key, conversation, letter, failed_at) VALUES (?, ?, ?, ?)",
      letter.key,
      conversation,
      JSON.stringify(letter),
      letter.failedAt,
    );
  }

  get(key: string): IndexedDeadLetter | undefined {
    const row = this.sql.exec<{ conversation: string; letter: string }>("SELECT conversation, letter FROM dead_letters WHERE key = ?", key).toArray()[0];
    return row ? { ...(JSON.parse(row.letter) as DeadLetter), conversation: row.conversation } : undefined;
  }

  /** At most `limit` letters, oldest failure first. */
  list(limit = 500): IndexedDeadLetter[] {
    return this.sql
      .exec<{ conversation: string; letter: string }>("SELECT conversation, letter FROM dead_letters ORDER BY failed_at LIMIT ?", limit)
      .toArray()
      .map((row) => ({ ...(JSON.parse(row.letter) as DeadLetter), conversation: row.conversation }));
  }

  delete(key: string): void {
    this.sql.exec("DELETE FROM dead_letters WHERE key = ?", key);
  }
}
