/**
 * @module local-bridge/watcher
 * Follows the Messages database: reads rows after the watermark in bounded batches, on a bounded
 * polling interval and whenever the write-ahead log (`chat.db-wal`) changes; then rows already read
 * that were edited or unsent since. Reopens the database when its files are replaced.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "chat";
import { admit, type Verdict } from "./admission.ts";
import type { ChatDb, LocalMessage } from "./chat-db.ts";
import { EchoGuard } from "./echo.ts";
import type { Journal } from "./journal.ts";
import type { WatermarkStore } from "./watermark.ts";

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Default backlog fence with `startAt: "latest"`: rows older than this when read are not handed over. */
export const DEFAULT_MAX_MESSAGE_AGE_MS = 15 * 60 * 1000;
/** How many of the newest rows already read are checked for edits and unsends on each read. */
export const DEFAULT_EDIT_LOOKBACK_ROWS = 2000;
/**
 * A new row without a chat yet (its `chat_message_join` row not written) is waited for this long before
 * the watermark moves past it: Messages may write the two in separate steps.
 */
export const NO_CHAT_GRACE_MS = 5_000;
/** Only rows this recent (by their date) are waited for; older rows without a chat are skipped at once. */
const NO_CHAT_RECENT_MS = 60_000;
/**
 * A read that comes this long after the previous one (beyond the polling interval) follows a sleep of
 * the Mac or a stalled process: the rows found then are a backlog, like those found at start.
 */
export const WAKE_GAP_MS = 60_000;
/** Journal key of the edit watermark. */
const EDIT_STAMP_KEY = "editStamp";
const MIN_POLL_INTERVAL_MS = 50;
const MAX_POLL_INTERVAL_MS = 60_000;
const MAX_BATCH_SIZE = 5000;
/** Delay between a WAL change and the read it triggers: one commit often writes several times. */
const WAL_SETTLE_MS = 15;

export interface WatcherOptions {
  db: ChatDb;
  watermark: WatermarkStore;
  /** Receives each new message for the bot, in ROWID order; the next waits for it to settle. */
  onMessage: (message: LocalMessage) => Promise<void> | void;
  /**
   * Receives a message handed over earlier that was edited or unsent since (the row as it is now), in
   * edit order. Needs a `journal`: only messages it recorded as handed over are followed.
   */
  onUpdate?: (message: LocalMessage) => Promise<void> | void;
  /**
   * Records each row by GUID before its handler runs and after it finished, so a restart neither
   * repeats nor loses a message whatever the watermark says; also holds the edit watermark.
   */
  journal?: Journal;
  /** Recognises the bot's own sends coming back and self-chat copies (default: a guard of its own). */
  echo?: EchoGuard;
  /**
   * Backlog fence in ms. The backlog is the rows already in the database at the first read and at the
   * first read after a gap of {@link WAKE_GAP_MS} (the Mac slept); backlog rows dated more than this
   * before they are read are journaled as skipped, not handed over, so a first start after a long sleep
   * does not answer hours-old messages. Rows arriving while the bridge runs are never fenced. Default
   * 15 min with `startAt: "latest"`, Infinity (no fence) with `startAt: "beginning"`.
   */
  maxMessageAgeMs?: number;
  /** Rows below the newest one read that are checked for edits and unsends (default 2000). */
  editLookbackRows?: number;
  /** Rows read per query (default 500, at most 5000). */
  batchSize?: number;
  /** Polling interval in ms (default 1000, clamped to 50–60000). */
  pollIntervalMs?: number;
  /** Also read as soon as `chat.db-wal` changes (default true; polling still runs as the fallback). */
  watchWal?: boolean;
  /** Without a stored watermark: start after the newest row ("latest", default) or replay everything. */
  startAt?: "latest" | "beginning";
  /**
   * Save the watermark as messages are handled (default true). The relay turns this off and saves
   * only what the Worker acknowledged.
   */
  autoCommit?: boolean;
  /**
   * Longest time in ms a handled message may wait before the watermark file records it (default 250);
   * the file is also written at the end of every read and on stop. A crash can repeat at most the
   * messages handled within this window; a clean stop repeats none.
   */
  commitIntervalMs?: number;
  logger?: Logger;
}

/** Counts of what one read did with the rows it saw, by verdict, plus updates handed over. */
export type DrainCounts = Record<Verdict, number> & { updates: number };

function emptyCounts(): DrainCounts {
  return { deliver: 0, "no-chat": 0, handled: 0, echo: 0, own: 0, copy: 0, stale: 0, updates: 0 };
}

type Options = Required<Omit<WatcherOptions, "logger" | "onUpdate" | "journal">> &
  Pick<WatcherOptions, "logger" | "onUpdate" | "journal">;

/**
 * Reads new messages from the Messages database and hands them over one at a time.
 *
 * @example
 * ```ts
 * const watcher = new ChatDbWatcher({ db, watermark, onMessage: (m) => console.log(m.text) });
 * watcher.start();
 * // later
 * await watcher.stop();
 * ```
 */
export class ChatDbWatcher {
  /** The last ROWID read (handed over or skipped). */
  cursor = 0;
  /** What the last read did (tests and logs). */
  lastCounts: DrainCounts = emptyCounts();
  private readonly options: Options;
  private editStamp: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private walTimer: ReturnType<typeof setTimeout> | undefined;
  private fsWatcher: FSWatcher | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private started = false;
  private lastCommitAt = 0;
  private stopping = false;
  private held: { rowid: number; since: number } | undefined;
  private backlogUpTo = 0;
  private lastReadAt = 0;

  constructor(options: WatcherOptions) {
    const startAt = options.startAt ?? "latest";
    this.options = {
      ...options,
      batchSize: clamp(options.batchSize ?? DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
      pollIntervalMs: clamp(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS),
      watchWal: options.watchWal ?? true,
      startAt,
      autoCommit: options.autoCommit ?? true,
      commitIntervalMs: Math.max(0, options.commitIntervalMs ?? 250),
      echo: options.echo ?? new EchoGuard(),
      maxMessageAgeMs: options.maxMessageAgeMs ?? (startAt === "latest" ? DEFAULT_MAX_MESSAGE_AGE_MS : Number.POSITIVE_INFINITY),
      editLookbackRows: Math.max(0, options.editLookbackRows ?? DEFAULT_EDIT_LOOKBACK_ROWS),
    };
    const stored = this.options.watermark.load();
    this.cursor = stored ?? (startAt === "latest" ? this.options.db.maxRowid() : 0);
    if (stored === undefined && this.options.autoCommit) this.options.watermark.save(this.cursor);
    const journal = this.options.journal;
    // Edits are followed from now on: a first run starts above every edit already in the database.
    this.editStamp = journal && options.onUpdate ? (journal.get(EDIT_STAMP_KEY) ?? this.options.db.maxEditStamp()) : "0";
    if (journal && options.onUpdate) journal.set(EDIT_STAMP_KEY, this.editStamp);
    journal?.prune();
  }

  get pollIntervalMs(): number {
    return this.options.pollIntervalMs;
  }

  get batchSize(): number {
    return this.options.batchSize;
  }

  /** The backlog fence in ms (Infinity when there is none). */
  get maxMessageAgeMs(): number {
    return this.options.maxMessageAgeMs;
  }

  /** Starts polling (and watching the WAL); the first read happens at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.options.watchWal) this.watchWal();
    this.tick();
  }

  /** Stops polling and waits for the read in progress to finish. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    clearTimeout(this.walTimer);
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    this.stopping = true;
    await this.running;
    this.stopping = false;
    this.commit();
  }

  /**
   * Reads until no new rows are left, in batches of `batchSize`, then the edits and unsends since the
   * last read; concurrent calls share one run. Resolves with the number of messages handed over.
   */
  poll(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && this.started) {
        this.again = false;
        void this.poll();
      }
    });
    return this.running;
  }

  private async drain(): Promise<number> {
    const counts = emptyCounts();
    this.lastCounts = counts;
    try {
      if (this.options.db.reopenIfReplaced()) this.options.logger?.info("the Messages database files were replaced; reopened them");
    } catch (error) {
      this.options.logger?.warn("reopening the Messages database failed; retrying on the next poll", { error });
      return 0;
    }
    if (Date.now() - this.lastReadAt > this.options.pollIntervalMs + WAKE_GAP_MS) {
      try {
        this.backlogUpTo = Math.max(this.backlogUpTo, this.options.db.maxRowid());
      } catch {
        // the read below reports the failure
      }
    }
    for (;;) {
      const seenAt = new Date();
      this.lastReadAt = seenAt.getTime();
      let batch: LocalMessage[];
      try {
        batch = this.options.db.readAfter(this.cursor, this.options.batchSize, seenAt);
      } catch (error) {
        this.options.logger?.warn("reading the Messages database failed; retrying on the next poll", { error });
        this.commit();
        return counts.deliver;
      }
      let waiting = false;
      for (const message of batch) {
        if (this.stopping) break;
        const verdict = admit(message, { ...this.options, backlogUpTo: this.backlogUpTo, seenAt });
        if (verdict === "no-chat" && this.waitForChat(message, seenAt)) {
          waiting = true;
          break;
        }
        counts[verdict]++;
        if (verdict === "deliver") await this.deliver(message);
        else if (verdict === "stale") this.options.journal?.finish(message.guid, message.rowid, "skipped", message.editStamp);
        this.cursor = message.rowid;
        if (Date.now() - this.lastCommitAt >= this.options.commitIntervalMs) this.commit();
      }
      if (batch.length < this.options.batchSize || this.stopping || waiting) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.commit();
    this.lastReadAt = Date.now();
    if (counts.stale > 0) {
      const minutes = Math.round(this.options.maxMessageAgeMs / 60_000);
      this.options.logger?.info(`skipped ${counts.stale} messages older than ${minutes} min (backlog fence: maxMessageAgeMs)`);
    }
    if (!this.stopping) await this.followEdits(counts);
    return counts.deliver;
  }

  /** True while a recent row without a chat should be read again before the watermark passes it. */
  private waitForChat(message: LocalMessage, seenAt: Date): boolean {
    const now = seenAt.getTime();
    if (message.dateSource === "database" && now - message.date.getTime() > NO_CHAT_RECENT_MS) return false;
    if (this.held?.rowid !== message.rowid) this.held = { rowid: message.rowid, since: now };
    if (now - this.held.since < NO_CHAT_GRACE_MS) return true;
    this.options.logger?.warn(`Messages row ${message.rowid} has no chat after ${NO_CHAT_GRACE_MS} ms; skipping it`, { guid: message.guid });
    return false;
  }

  private async deliver(message: LocalMessage): Promise<void> {
    const journal = this.options.journal;
    journal?.begin(message.guid, message.rowid);
    try {
      await this.options.onMessage(message);
    } catch (error) {
      this.options.logger?.error("handling a message failed; moving on", { guid: message.guid, error });
    }
    this.options.echo.rememberSelfChat(message);
    journal?.finish(message.guid, message.rowid, "done", message.editStamp);
  }

  /** Hands over edits and unsends of messages handed over before, then moves the edit watermark. */
  private async followEdits(counts: DrainCounts): Promise<void> {
    const { journal, onUpdate, db } = this.options;
    if (!journal || !onUpdate) return;
    const from = Math.max(0, this.cursor - this.options.editLookbackRows);
    for (;;) {
      let rows: LocalMessage[];
      try {
        rows = db.readEditedSince(this.editStamp, from, this.cursor, this.options.batchSize);
      } catch (error) {
        this.options.logger?.warn("reading edits from the Messages database failed; retrying on the next poll", { error });
        return;
      }
      for (const row of rows) {
        if (this.stopping) return;
        const known = journal.editStampOf(row.guid);
        if (known !== undefined && journal.status(row.guid) === "done" && BigInt(row.editStamp) > BigInt(known)) {
          try {
            await onUpdate(row);
            counts.updates++;
          } catch (error) {
            this.options.logger?.error("handling an edit or unsend failed; moving on", { guid: row.guid, error });
          }
          journal.setEditStamp(row.guid, row.editStamp);
        }
        this.editStamp = row.editStamp;
        journal.set(EDIT_STAMP_KEY, this.editStamp);
      }
      if (rows.length < this.options.batchSize) return;
    }
  }
  private commit(): void {
    if (!this.options.autoCommit) return;
    this.options.watermark.save(this.cursor);
    this.lastCommitAt = Date.now();
  }

  private tick(): void {
    if (!this.started) return;
    void this.poll().finally(() => {
      if (!this.started) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.tick(), this.options.pollIntervalMs);
    });
  }

  private watchWal(): void {
    const file = basename(this.options.db.path);
    try {
      this.fsWatcher = watch(dirname(this.options.db.path), { persistent: false }, (_event, changed) => {
        if (changed && !String(changed).startsWith(file)) return;
        if (this.walTimer) return;
        this.walTimer = setTimeout(() => {
          this.walTimer = undefined;
          if (this.started) void this.poll();
        }, WAL_SETTLE_MS);
      });
      this.fsWatcher.on("error", (error) => {
        this.options.logger?.warn("watching chat.db-wal failed; polling only", { error });
        this.fsWatcher?.close();
        this.fsWatcher = undefined;
      });
    } catch (error) {
      this.options.logger?.warn("cannot watch chat.db-wal; polling only", { error });
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}
