import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatDb } from "../src/chat-db.ts";
import { memoryWatermark } from "../src/watermark.ts";
import { ChatDbWatcher } from "../src/watcher.ts";
import type { FixtureChat } from "./fixtures/chat-db.ts";
import { Writer } from "./fixtures/writer.ts";
import { tempDir } from "./helpers.ts";

const ALICE = "+15551234567";
const POLL_MS = 250;
/** Timer and scheduling slack on a busy 2-core machine. */
const SLACK_MS = 200;

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.stop();
});

/**
 * A watcher on a database that another process keeps writing (as Messages does), measuring the time
 * from each insert to its handler.
 */
async function harness(watchWal: boolean) {
  const dir = tempDir();
  const path = join(dir, "chat.db");
  const writer = await Writer.start(path);
  running.push(writer);
  const dm: FixtureChat = await writer.dm(ALICE);
  const received = new Map<string, number>();
  const handled: string[] = [];
  const watcher = new ChatDbWatcher({
    db: new ChatDb(path, dir),
    watermark: memoryWatermark(),
    startAt: "beginning",
    pollIntervalMs: POLL_MS,
    watchWal,
    onMessage: (message) => {
      handled.push(message.text);
      received.set(message.text, Date.now());
    },
  });
  running.push(watcher);
  watcher.start();
  const latencies: number[] = [];
  return {
    path,
    dir,
    dm,
    writer,
    handled,
    latencies,
    /** Writes a message and waits until the watcher handed it over; records the latency. */
    async arrive(text: string) {
      const at = Date.now();
      await writer.message({ chat: dm, from: ALICE, text });
      try {
        await vi.waitFor(() => expect(received.has(text)).toBe(true), { timeout: 5_000, interval: 5 });
      } catch (error) {
        const probe = new ChatDb(path, dir);
        const rows = probe.maxRowid();
        probe.close();
        throw new Error(`"${text}" not handed over: cursor ${watcher.cursor}, ${rows} rows, handled ${JSON.stringify(handled)}`, { cause: error });
      }
      latencies.push((received.get(text) as number) - at);
    },
  };
}

describe.each([
  ["with the WAL watch", true],
  ["polling only", false],
])("a watcher %s never goes deaf", (_name, watchWal) => {
  it("when the WAL is checkpointed and truncated while messages keep arriving", { timeout: 30_000 }, async () => {
    const h = await harness(watchWal);
    for (let round = 0; round < 6; round++) {
      await h.arrive(`before checkpoint ${round}`);
      await h.writer.send({ op: "pragma", pragma: round % 2 ? "wal_checkpoint(TRUNCATE)" : "wal_checkpoint(RESTART)" });
      await h.arrive(`after checkpoint ${round}`);
    }
    expect(h.handled).toHaveLength(12);
    expect(new Set(h.handled).size).toBe(12);
    expect(Math.max(...h.latencies)).toBeLessThanOrEqual(POLL_MS + SLACK_MS);
  });

  it("when chat.db-wal and chat.db-shm are deleted and created again", { timeout: 30_000 }, async () => {
    const h = await harness(watchWal);
    for (let round = 0; round < 3; round++) {
      await h.arrive(`before delete ${round}`);
      // As SQLite does when the last writer closes: everything checkpointed, then the files go.
      expect(await h.writer.send({ op: "pragma", pragma: "wal_checkpoint(TRUNCATE)" })).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
      await h.writer.send({ op: "close" });
      rmSync(`${h.path}-wal`, { force: true });
      rmSync(`${h.path}-shm`, { force: true });
      await h.writer.send({ op: "open" });
      expect(existsSync(`${h.path}-wal`)).toBe(true);
      await h.arrive(`after recreate ${round}`);
      await h.arrive(`and again ${round}`);
    }
    expect(h.handled).toEqual(
      [0, 1, 2].flatMap((round) => [`before delete ${round}`, `after recreate ${round}`, `and again ${round}`]),
    );
    expect(Math.max(...h.latencies)).toBeLessThanOrEqual(POLL_MS + SLACK_MS);
  });

  it("when the database file is replaced under it (a copy with new rows renamed over it): nothing lost, nothing repeated", { timeout: 30_000 }, async () => {
    const h = await harness(watchWal);
    await h.arrive("old 1");
    await h.arrive("old 2");
    const copy = join(h.dir, "chat.db.new");
    await h.writer.send({ op: "exec", sql: `VACUUM INTO '${copy}'` });
    await h.writer.send({ op: "close" });
    await h.writer.send({ op: "open", path: copy });
    await h.writer.message({ chat: h.dm, from: ALICE, text: "written to the copy" });
    await h.writer.send({ op: "close" });
    const replacedAt = Date.now();
    renameSync(copy, h.path);
    rmSync(`${h.path}-wal`, { force: true });
    rmSync(`${h.path}-shm`, { force: true });
    await vi.waitFor(() => expect(h.handled).toContain("written to the copy"), { timeout: 5_000, interval: 5 });
    h.latencies.push(Date.now() - replacedAt);
    await h.writer.send({ op: "open" });
    await h.arrive("new 1");
    expect(h.handled).toEqual(["old 1", "old 2", "written to the copy", "new 1"]);
    expect(Math.max(...h.latencies)).toBeLessThanOrEqual(POLL_MS + SLACK_MS);
  });
});
