/**
 * @module local-bridge/watcher
 * Follows the Messages database: reads rows after the watermark in bounded batches, on a bounded
 * polling interval and whenever the write-ahead log (`chat.db-wal`) changes.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "chat";
import type { ChatDb, LocalMessage } from "./chat-db.ts";
import type { WatermarkStore } from "./watermark.ts";

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_POLL_INTERVAL_MS = 1000;
const MIN_POLL_INTERVAL_MS = 50;
const MAX_POLL_INTERVAL_MS = 60_000;
const MAX_BATCH_SIZE = 5000;
/** Delay between a WAL change and the read it triggers: one commit often writes several times. */
const WAL_SETTLE_MS = 15;

export interface WatcherOptions {
  db: ChatDb;
  watermark: WatermarkStore;
  /** Receives each new message from someone else, in ROWID order; the next waits for it to settle. */
  onMessage: (message: LocalMessage) => Promise<void> | void;
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
  private readonly options: Required<Omit<WatcherOptions, "logger">> & { logger?: Logger };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private walTimer: ReturnType<typeof setTimeout> | undefined;
  private fsWatcher: FSWatcher | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private started = false;
  private lastCommitAt = 0;
  private stopping = false;

  constructor(options: WatcherOptions) {
    this.options = {
      ...options,
      batchSize: clamp(options.batchSize ?? DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
      pollIntervalMs: clamp(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS),
      watchWal: options.watchWal ?? true,
      startAt: options.startAt ?? "latest",
      autoCommit: options.autoCommit ?? true,
      commitIntervalMs: Math.max(0, options.commitIntervalMs ?? 250),
    };
    const stored = this.options.watermark.load();
    this.cursor = stored ?? (this.options.startAt === "latest" ? this.options.db.maxRowid() : 0);
    if (stored === undefined && this.options.autoCommit) this.options.watermark.save(this.cursor);
  }

  get pollIntervalMs(): number {
    return this.options.pollIntervalMs;
  }

  get batchSize(): number {
    return this.options.batchSize;
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
   * Reads until no new rows are left, in batches of `batchSize`; concurrent calls share one run.
   * Resolves with the number of messages handed over.
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
    let delivered = 0;
    for (;;) {
      let batch: LocalMessage[];
      try {
        batch = this.options.db.readAfter(this.cursor, this.options.batchSize);
      } catch (error) {
        this.options.logger?.warn("reading the Messages database failed; retrying on the next poll", { error });
        this.commit();
        return delivered;
      }
      for (const message of batch) {
        if (this.stopping) break;
        if (!message.isFromMe && message.chatGuid) {
          try {
            await this.options.onMessage(message);
            delivered++;
          } catch (error) {
            this.options.logger?.error("handling a message failed; moving on", { guid: message.guid, error });
          }
        }
        this.cursor = message.rowid;
        if (Date.now() - this.lastCommitAt >= this.options.commitIntervalMs) this.commit();
      }
      if (batch.length < this.options.batchSize || this.stopping) {
        this.commit();
        return delivered;
      }
      await new Promise((resolve) => setImmediate(resolve));
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
