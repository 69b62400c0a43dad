/**
 * @module local-bridge/journal
 * The bridge's own record of what it handed to the bot, by message GUID, in a small SQLite file: a row
 * is journaled before its handler runs and marked done after, before the watermark moves past it. On a
 * restart the rows after the watermark are read again and the journal says which were already handled.
 * It also keeps the last edit stamp handed over per message and the edit watermark.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** Where a message stands: handed over and finished, skipped on purpose, or started when the process died. */
export type JournalStatus = "pending" | "done" | "skipped";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS handled (
  guid TEXT PRIMARY KEY, rowid INTEGER NOT NULL, status TEXT NOT NULL,
  edit_stamp TEXT NOT NULL DEFAULT '0', at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS handled_at ON handled (at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Finished entries older than this are pruned (Messages allows edits for 15 minutes and unsends for 2; a week leaves room for long stops). */
export const JOURNAL_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The journal. Every write is its own transaction in a WAL-mode database, so a crash of the process
 * keeps everything written before it.
 *
 * @example
 * ```ts
 * const journal = openJournal("~/.chat-adapter-imessage/journal.db"); // or ":memory:"
 * journal.begin(row.guid, row.rowid);
 * await handle(row);
 * journal.finish(row.guid, "done", row.editStamp);
 * ```
 */
export class Journal {
  private readonly db: Database.Database;
  private readonly statements: {
    status: Database.Statement<[string], { status: JournalStatus; edit_stamp: string }>;
    begin: Database.Statement<[string, number, number]>;
    finish: Database.Statement<[string, number, string, string, number]>;
    setEditStamp: Database.Statement<[string, string]>;
    getMeta: Database.Statement<[string], { value: string }>;
    setMeta: Database.Statement<[string, string]>;
    prune: Database.Statement<[number]>;
  };

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(SCHEMA);
    this.statements = {
      status: this.db.prepare("SELECT status, edit_stamp FROM handled WHERE guid = ?"),
      begin: this.db.prepare(
        "INSERT INTO handled (guid, rowid, status, at) VALUES (?, ?, 'pending', ?) ON CONFLICT (guid) DO NOTHING",
      ),
      finish: this.db.prepare(
        `INSERT INTO handled (guid, rowid, status, edit_stamp, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (guid) DO UPDATE SET status = excluded.status, edit_stamp = excluded.edit_stamp, at = excluded.at`,
      ),
      setEditStamp: this.db.prepare("UPDATE handled SET edit_stamp = ? WHERE guid = ?"),
      getMeta: this.db.prepare("SELECT value FROM meta WHERE key = ?"),
      setMeta: this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      prune: this.db.prepare("DELETE FROM handled WHERE at < ? AND status != 'pending'"),
    };
  }

  /** What the journal knows about a message, or undefined when it never saw it. */
  status(guid: string): JournalStatus | undefined {
    return this.statements.status.get(guid)?.status;
  }

  /** The edit stamp last handed over for a message (its stamp when it was delivered, then each edit's). */
  editStampOf(guid: string): string | undefined {
    return this.statements.status.get(guid)?.edit_stamp;
  }

  /** Records that a message is about to be handed over. */
  begin(guid: string, rowid: number): void {
    this.statements.begin.run(guid, rowid, Date.now());
  }

  /** Records that a message was handled (`done`) or deliberately not (`skipped`), with its edit stamp. */
  finish(guid: string, rowid: number, status: Exclude<JournalStatus, "pending">, editStamp: string): void {
    this.statements.finish.run(guid, rowid, status, editStamp, Date.now());
  }

  /** Records the edit stamp of an edit or unsend handed over. */
  setEditStamp(guid: string, editStamp: string): void {
    this.statements.setEditStamp.run(editStamp, guid);
  }

  /** A stored setting (e.g. the edit watermark). */
  get(key: string): string | undefined {
    return this.statements.getMeta.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.statements.setMeta.run(key, value);
  }

  /** Forgets finished entries older than `retentionMs`; returns how many. */
  prune(retentionMs: number = JOURNAL_RETENTION_MS): number {
    return this.statements.prune.run(Date.now() - retentionMs).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (or creates) a journal file; `":memory:"` keeps it in memory (tests, bots that start fresh).
 *
 * @example
 * ```ts
 * const journal = openJournal(":memory:");
 * ```
 */
export function openJournal(path: string): Journal {
  return new Journal(path);
}
