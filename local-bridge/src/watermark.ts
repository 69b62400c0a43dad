/**
 * @module local-bridge/watermark
 * The last handled `message.ROWID`, kept in a small JSON file so a restart resumes where it stopped.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Where the bridge keeps its progress through the Messages database. */
export interface WatermarkStore {
  /** The stored ROWID, or undefined before the first run. */
  load(): number | undefined;
  /** Stores a ROWID; everything up to it counts as handled. */
  save(rowid: number): void;
}

/**
 * A watermark in a JSON file, replaced atomically (write to a temporary file, then rename).
 *
 * @example
 * ```ts
 * const watermark = fileWatermark("~/.chat-adapter-imessage/watermark.json");
 * watermark.save(1042);
 * watermark.load(); // 1042
 * ```
 */
export function fileWatermark(path: string): WatermarkStore {
  let saved: number | undefined;
  return {
    load() {
      try {
        const parsed = JSON.parse(readFileSync(path, "utf8")) as { rowid?: unknown };
        saved = typeof parsed.rowid === "number" && Number.isInteger(parsed.rowid) ? parsed.rowid : undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        saved = undefined;
      }
      return saved;
    },
    save(rowid) {
      if (rowid === saved) return;
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify({ rowid, savedAt: new Date().toISOString() })}\n`);
      renameSync(temporary, path);
      saved = rowid;
    },
  };
}

/** A watermark held in memory only (tests, or a bot that wants to start fresh each run). */
export function memoryWatermark(initial?: number): WatermarkStore {
  let value = initial;
  return {
    load: () => value,
    save: (rowid) => {
      value = rowid;
    },
  };
}
