/**
 * @module ledger/store-schema
 * The tables of one delivery ledger, laid out for the fewest SQLite rows written per delivery
 * (`cursor.rowsWritten` counts every index entry too):
 *
 * - `seen`: one row per delivery key ever accepted (dedupe), `WITHOUT ROWID` so its TEXT primary key
 *   is the table itself: 1 row written per new key, none per copy. `ref` is the rowid of the key's row
 *   in `open_deliveries` while it has one; negative while the delivery is on the fast path
 *   (`fresh-queue.ts`: its `chat` and `payload` are then in this row, cleared once handled);
 *   `attempts` is kept for a delivery handled after more than one attempt (NULL: handled at its first).
 * - `open_deliveries`: the deliveries not handled yet (waiting, or dead letters), with their payload;
 *   a plain rowid table without any secondary index (1 row written per insert, update or delete). Its
 *   rowid is the arrival order. A handled delivery's row is deleted: its key stays in `seen`.
 *
 * Also moves an existing `deliveries` table (the first layout) into them, once.
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";

/** What a dead letter that cannot be replayed keeps instead of its payload. */
export interface Unstorable {
  messageId: string;
  unstorable: string;
}

/** A stored payload as a delivery to run, or undefined when it is not one (unreadable, or kept without its payload). */
export function readDelivery(payload: string | null): VerifiedDelivery | undefined {
  if (!payload) return undefined;
  try {
    const delivery = JSON.parse(payload) as Partial<VerifiedDelivery> & Partial<Unstorable>;
    const space = delivery?.envelope?.message?.space;
    return delivery && !delivery.unstorable && typeof space?.id === "string" ? (delivery as VerifiedDelivery) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a stored delivery is buried when its payload cannot be read back. */
export const UNREADABLE = "the stored delivery cannot be read back (not a delivery's JSON); it cannot be replayed";

/** The webhook route path a delivery recorded (see `VerifiedDelivery.path`), if it is one. */
export function routeOf(delivery: Pick<VerifiedDelivery, "path"> | undefined): string | undefined {
  const path = delivery?.path;
  return typeof path === "string" && path.startsWith("/") ? path : undefined;
}

/** The message id of a stored delivery, else what its key says (`msg:<id>`; a hashed key is shown as is). */
export function messageIdOf(key: string, payload: string | null): string {
  try {
    const parsed = JSON.parse(payload ?? "null") as { messageId?: unknown } | null;
    if (typeof parsed?.messageId === "string") return parsed.messageId;
  } catch {
    // unreadable payload: fall back to the key
  }
  return key.startsWith("msg:") ? key.slice(4) : key;
}

/** Creates the tables when missing and migrates the first layout's `deliveries` table. */
export function prepareLedgerTables(sql: SqlStorage, transact: <T>(body: () => T) => T): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS seen (
      key TEXT PRIMARY KEY,
      ref INTEGER NOT NULL,
      at INTEGER NOT NULL,
      attempts INTEGER,
      chat TEXT,
      payload TEXT
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS open_deliveries (
      key TEXT NOT NULL,
      chat TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      channel TEXT NOT NULL,
      webhook_id TEXT,
      last_error TEXT,
      received_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      delivery TEXT
    );`);
  // The second layout's `seen` had no fast path: add its columns.
  const columns = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'seen'").one().sql;
  if (!/\bpayload\b/.test(columns)) sql.exec("ALTER TABLE seen ADD COLUMN chat TEXT; ALTER TABLE seen ADD COLUMN payload TEXT;");
  const legacy = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'").toArray().length > 0;
  if (legacy) transact(() => migrateDeliveries(sql));
}

/**
 * Moves the first layout (`deliveries`: one row per key with its state) into `seen` and
 * `open_deliveries`, in arrival order, then drops it. A row that was `running` when the old code
 * stopped becomes a waiting delivery with its attempts kept, so the watchdog runs it again and the
 * interrupted-attempts rule still counts it.
 */
function migrateDeliveries(sql: SqlStorage): void {
  sql.exec(
    `INSERT INTO open_deliveries (key, chat, state, attempts, next_at, channel, webhook_id, last_error, received_at, updated_at, delivery)
     SELECT key, chat, CASE state WHEN 'dead' THEN 'dead' ELSE 'pending' END, attempts, next_at, channel, webhook_id, last_error,
            received_at, updated_at, delivery
     FROM deliveries WHERE state <> 'done' ORDER BY seq`,
  );
  sql.exec(
    `INSERT INTO seen (key, ref, at, attempts)
     SELECT d.key, COALESCE((SELECT MAX(o.rowid) FROM open_deliveries o WHERE o.key = d.key), 0), d.updated_at,
            CASE WHEN d.state = 'done' AND d.attempts > 1 THEN d.attempts END
     FROM deliveries d WHERE true
     ON CONFLICT (key) DO NOTHING`,
  );
  sql.exec("DROP TABLE deliveries");
}

/** An open row's columns (see `open_deliveries`). */
export interface OpenRowValues {
  key: string;
  chat: string;
  state: "pending" | "dead";
  attempts: number;
  nextAt: number;
  channel: string | undefined;
  webhookId: string | null | undefined;
  error: string | null;
  receivedAt: number;
  updatedAt: number;
  payload: string | null;
}

/** Inserts an open row (1 row written); its rowid, for the key's `seen.ref`. */
export function insertOpenRow(sql: SqlStorage, row: OpenRowValues): number {
  return sql
    .exec<{ ref: number }>(
      `INSERT INTO open_deliveries (key, chat, state, attempts, next_at, channel, webhook_id, last_error, received_at, updated_at, delivery)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid AS ref`,
      row.key,
      row.chat,
      row.state,
      row.attempts,
      row.nextAt,
      String(row.channel ?? "webhook").slice(0, 64),
      row.webhookId?.slice(0, 256) ?? null,
      row.error,
      row.receivedAt,
      row.updatedAt,
      row.payload,
    )
    .one().ref;
}
