import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ChatDb, type LocalMessage } from "../src/chat-db.ts";
import { fileWatermark } from "../src/watermark.ts";
import { ChatDbWatcher } from "../src/watcher.ts";
import { ChatDbFixture } from "./fixtures/chat-db.ts";
import { ALICE, buildSampleChatDb } from "./fixtures/sample.ts";
import { tempDir } from "./helpers.ts";

function setup(batchSize?: number) {
  const dir = tempDir();
  const path = join(dir, "chat.db");
  const sample = buildSampleChatDb(path);
  const watermarkPath = join(dir, "state", "watermark.json");
  const seen: LocalMessage[] = [];
  const watcher = (db = new ChatDb(path, dir), startAt: "latest" | "beginning" = "beginning") =>
    new ChatDbWatcher({
      db,
      watermark: fileWatermark(watermarkPath),
      onMessage: (message) => void seen.push(message),
      startAt,
      batchSize,
      watchWal: false,
    });
  return { path, dir, sample, watermarkPath, seen, watcher };
}

describe("ChatDbWatcher", () => {
  it("hands over messages from others in ROWID order and skips own messages", async () => {
    const { sample, seen, watcher } = setup();
    await watcher().poll();
    expect(seen.map((m) => m.guid)).toEqual([
      sample.hello.guid, sample.attributed.guid, sample.real.guid, sample.inGroup.guid, sample.photo.guid,
      sample.love.guid, sample.unlove.guid, sample.laughBalloon.guid, sample.oldFormat.guid,
    ]);
    expect(seen.some((m) => m.isFromMe)).toBe(false);
  });

  it("resumes after a restart without losing or repeating a message (watermark file)", async () => {
    const { path, dir, seen, watcher, watermarkPath } = setup();
    const first = watcher();
    await first.poll();
    await first.stop();
    const before = seen.length;

    const fixture = new ChatDbFixture(path);
    const dm = { rowid: 1, guid: `iMessage;-;${ALICE}` };
    const late = fixture.message({ chat: dm, from: ALICE, text: "sent while the bot was down" });
    fixture.close();

    const second = watcher(new ChatDb(path, dir));
    await second.poll();
    expect(seen.slice(before).map((m) => m.text)).toEqual(["sent while the bot was down"]);
    expect(JSON.parse(readFileSync(watermarkPath, "utf8")).rowid).toBe(late.rowid);
    await second.poll();
    expect(seen.length).toBe(before + 1);
  });

  it("moves past ROWID gaps without waiting for the missing rows", async () => {
    const { path, dir, seen, watcher } = setup();
    const fixture = new ChatDbFixture(path);
    const dm = { rowid: 1, guid: `iMessage;-;${ALICE}` };
    const a = fixture.message({ chat: dm, from: ALICE, text: "a" });
    const gone = fixture.message({ chat: dm, from: ALICE, text: "deleted" });
    const b = fixture.message({ chat: dm, from: ALICE, text: "b" });
    fixture.deleteMessage(gone.rowid);
    fixture.close();
    const w = watcher(new ChatDb(path, dir));
    await w.poll();
    expect(seen.slice(-2).map((m) => m.rowid)).toEqual([a.rowid, b.rowid]);
    expect(w.cursor).toBe(b.rowid);
  });

  it("waits for a new row's chat (chat_message_join written after the message) instead of moving past it", async () => {
    const { path, dir, seen, watcher } = setup();
    const w = watcher(new ChatDb(path, dir));
    await w.poll();
    const before = seen.length;
    const fixture = new ChatDbFixture(path);
    const dm = { rowid: 1, guid: `iMessage;-;${ALICE}` };
    const row = fixture.message({ chat: dm, from: ALICE, text: "joined late", withoutChatJoin: true });
    await w.poll();
    expect(seen.length).toBe(before);
    expect(w.cursor).toBe(row.rowid - 1);
    fixture.joinChat(row.rowid, dm);
    fixture.close();
    await w.poll();
    expect(seen.slice(before).map((m) => m.text)).toEqual(["joined late"]);
    expect(w.cursor).toBe(row.rowid);
  });

  it("moves past an old row that has no chat at all", async () => {
    const { path, dir, seen, watcher } = setup();
    const fixture = new ChatDbFixture(path);
    const dm = { rowid: 1, guid: `iMessage;-;${ALICE}` };
    const orphan = fixture.message({ chat: dm, from: ALICE, text: "orphan", withoutChatJoin: true, date: new Date(Date.now() - 3_600_000) });
    fixture.message({ chat: dm, from: ALICE, text: "after the orphan" });
    fixture.close();
    const w = watcher(new ChatDb(path, dir));
    await w.poll();
    expect(seen.map((m) => m.text)).not.toContain("orphan");
    expect(seen.at(-1)?.text).toBe("after the orphan");
    expect(w.cursor).toBeGreaterThan(orphan.rowid);
  });

  it("starts after the newest row on a first run with startAt latest", async () => {
    const { path, dir, seen, watcher } = setup();
    const w = watcher(new ChatDb(path, dir), "latest");
    await w.poll();
    expect(seen).toEqual([]);
  });

  // Writing the 10k rows takes most of the time (3 s on a loaded 2-core machine); the read takes under 1 s.
  it("works through a 10k-message backlog in bounded batches, yielding between them", { timeout: 30_000 }, async () => {
    const { path, dir, seen, watcher } = setup(500);
    const fixture = new ChatDbFixture(path);
    fixture.bulk(fixture.dm("+15550009999"), "+15550009999", 10_000, (i) => `backlog ${i}`);
    fixture.close();
    const db = new ChatDb(path, dir);
    const reads = vi.spyOn(db, "readAfter");
    const w = watcher(db);
    await w.poll();
    const backlog = seen.filter((m) => m.text.startsWith("backlog "));
    expect(backlog).toHaveLength(10_000);
    expect(backlog[9_999]?.text).toBe("backlog 9999");
    expect(new Set(seen.map((m) => m.guid)).size).toBe(seen.length);
    expect(reads.mock.calls.every(([, limit]) => limit === 500)).toBe(true);
    expect(reads.mock.calls.length).toBeGreaterThanOrEqual(20);
  });

  it("keeps going when a handler throws", async () => {
    const { path, dir } = setup();
    const handled: string[] = [];
    const w = new ChatDbWatcher({
      db: new ChatDb(path, dir),
      watermark: fileWatermark(join(dir, "w.json")),
      startAt: "beginning",
      watchWal: false,
      onMessage: (m) => {
        if (m.text === "TEST") throw new Error("handler bug");
        handled.push(m.text);
      },
    });
    await w.poll();
    expect(handled).toContain("seconds-era date");
    expect(handled).not.toContain("TEST");
  });

  it("reads soon after the WAL changes, well before the next poll", async () => {
    const { path, dir, seen } = setup();
    const w = new ChatDbWatcher({
      db: new ChatDb(path, dir),
      watermark: fileWatermark(join(dir, "w.json")),
      onMessage: (message) => void seen.push(message),
      pollIntervalMs: 60_000,
    });
    w.start();
    await vi.waitFor(() => expect(w.cursor).toBeGreaterThan(0));
    const fixture = new ChatDbFixture(path);
    fixture.message({ chat: { rowid: 1, guid: "" }, from: ALICE, text: "ping via WAL" });
    fixture.close();
    await vi.waitFor(() => expect(seen.map((m) => m.text)).toContain("ping via WAL"), { timeout: 2000 });
    await w.stop();
  });

  it("bounds the polling interval and batch size", () => {
    const { path, dir } = setup();
    const w = new ChatDbWatcher({
      db: new ChatDb(path, dir),
      watermark: fileWatermark(join(dir, "w.json")),
      onMessage: () => {},
      pollIntervalMs: 1,
      batchSize: 1_000_000,
    });
    expect(w.pollIntervalMs).toBe(50);
    expect(w.batchSize).toBe(5000);
  });
});
