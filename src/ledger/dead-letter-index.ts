/**
 * @module ledger/dead-letter-index
 * The index of dead letters across ledgers, in the gateway Durable Object's SQLite: each
 * `DeliveryLedger` keeps its own failed deliveries (with the payload to replay), and reports them
 * here so one route can list them all.
 */
import type { DeadLetter } from "./store.ts";

/** A dead letter and the ledger that holds it. */
export interface IndexedDeadLetter extends DeadLetter {
  /** Name of the `DeliveryLedger` Durable Object holding the letter (`ledger-<n>`, see `ledgerNameOf`). */
  ledger: string;
}

interface Row extends Record<string, SqlStorageValue> {
  key: string;
  conversation: string;
  letter: string;
  failed_at: number;
}

/** A row as a letter; one whose JSON cannot be read still lists its key, ledger and time (never hides the others). */
function letterOf(row: Row): IndexedDeadLetter {
  try {
    return { ...(JSON.parse(row.letter) as DeadLetter), ledger: row.conversation };
  } catch {
    return {
      key: row.key,
      messageId: "",
      chatGuid: "",
      channel: "",
      webhookId: null,
      attempts: 0,
      error: "this index entry cannot be read; the ledger named here holds the letter",
      receivedAt: row.failed_at,
      failedAt: row.failed_at,
      ledger: row.conversation,
    };
  }
}

/** Dead letters indexed by delivery key. */
export class DeadLetterIndex {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      key TEXT PRIMARY KEY,
      conversation TEXT NOT NULL, -- the ledger's name
      letter TEXT NOT NULL,
      failed_at INTEGER NOT NULL
    )`);
  }

  put(ledger: string, letter: DeadLetter): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO dead_letters (key, conversation, letter, failed_at) VALUES (?, ?, ?, ?)",
      letter.key,
      ledger,
      JSON.stringify(letter),
      letter.failedAt,
    );
  }

  get(key: string): IndexedDeadLetter | undefined {
    const row = this.sql.exec<Row>("SELECT key, conversation, letter, failed_at FROM dead_letters WHERE key = ?", key).toArray()[0];
    return row ? letterOf(row) : undefined;
  }

  /** At most `limit` letters, oldest failure first. */
  list(limit = 500): IndexedDeadLetter[] {
    return this.sql
      .exec<Row>("SELECT key, conversation, letter, failed_at FROM dead_letters ORDER BY failed_at LIMIT ?", limit)
      .toArray()
      .map(letterOf);
  }

  delete(key: string): void {
    this.sql.exec("DELETE FROM dead_letters WHERE key = ?", key);
  }
}
