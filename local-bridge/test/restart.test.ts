import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatDb, type LocalMessage } from "../src/chat-db.ts";
import { openJournal } from "../src/journal.ts";
import { fileWatermark } from "../src/watermark.ts";
import { ChatDbWatcher } from "../src/watcher.ts";
import { testBot } from "./bot.ts";
import { ChatDbFixture } from "./fixtures/chat-db.ts";
import { tempDir } from "./helpers.ts";

const ALICE = "+15551234567";

describe("restart safety (journal by message GUID)", () => {
  it("a crash while handling neither loses nor repeats: finished rows are not handed over again, the interrupted one is", async () => {
    const dir = tempDir();
    const path = join(dir, "chat.db");
    const fixture = new ChatDbFixture(path);
    const dm = fixture.dm(ALICE);
    for (const text of ["one", "two", "three", "four"]) fixture.message({ chat: dm, from: ALICE, text });
    const completed: string[] = [];
    const watcher = (onMessage: (m: LocalMessage) => Promise<void> | void) =>
      new ChatDbWatcher({
        db: new ChatDb(path, dir),
        watermark: fileWatermark(join(dir, "watermark.json")),
        journal: openJournal(join(dir, "journal.db")),
        startAt: "beginning",
        watchWal: false,
        // The watermark file is not written during the read: a crash leaves it where it was.
        commitIntervalMs: 1e9,
        onMessage,
      });

    const first = watcher(async (m) => {
      if (m.text === "three") await new Promise(() => {}); // the process dies here
      completed.push(m.text);
    });
    void first.poll();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(completed).toEqual(["one", "two"]);

    const second = watcher((m) => void completed.push(m.text));
    await second.poll();
    expect(completed).toEqual(["one", "two", "three", "four"]);
    const third = watcher((m) => void completed.push(m.text));
    await third.poll();
    expect(completed).toEqual(["one", "two", "three", "four"]);
  });
});

describe("first start after a long sleep (backlog)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** 300 messages, one a minute, the newest 30 s old, arrived while the bot was stopped. */
  function backlog(fixture: ChatDbFixture) {
    const dm = fixture.dm(ALICE);
    const now = Date.now();
    fixture.db.transaction(() => {
      for (let index = 0; index < 300; index++) {
        fixture.message({ chat: dm, from: ALICE, text: `m${index}`, date: new Date(now - (299 - index) * 60_000 - 30_000) });
      }
    })();
  }

  it("answers only what is newer than the fence (15 min by default), in order, once; the rest is journaled as skipped", async () => {
    const dir = tempDir();
    const options = { dir, startAt: "latest" as const, watermark: fileWatermark(join(dir, "watermark.json")), journalPath: join(dir, "journal.db"), reply: (text: string) => `re: ${text}` };
    const before = await testBot(options);
    await before.poll();
    await before.adapter.disconnect();
    backlog(before.fixture);

    const after = await testBot({ ...options, watermark: fileWatermark(join(dir, "watermark.json")) });
    expect(after.adapter.watcher.maxMessageAgeMs).toBe(15 * 60_000);
    await after.poll();
    const expected = Array.from({ length: 15 }, (_, index) => `m${285 + index}`);
    expect(after.events.map((e) => e.type === "message" && e.text)).toEqual(expected);
    expect(after.scripts).toHaveLength(15);
    expect(after.adapter.watcher.lastCounts).toMatchObject({ deliver: 15, stale: 285 });
    await after.adapter.disconnect();

    const again = await testBot({ ...options, watermark: fileWatermark(join(dir, "watermark.json")) });
    await again.poll();
    expect(again.events).toEqual([]);
  });

  it("handles the whole backlog in order when the fence is turned off (maxMessageAgeMs: Infinity)", async () => {
    const bot = await testBot({ startAt: "latest", maxMessageAgeMs: Number.POSITIVE_INFINITY });
    backlog(bot.fixture);
    await bot.poll();
    expect(bot.events.map((e) => e.type === "message" && e.text)).toEqual(Array.from({ length: 300 }, (_, index) => `m${index}`));
  });

  it("fences only the backlog: an old-dated row arriving while the bridge runs is handed over; rows found on waking are fenced", async () => {
    const bot = await testBot({ startAt: "latest" });
    const dm = bot.fixture.dm(ALICE);
    await bot.poll();
    const start = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: start });
    bot.fixture.message({ chat: dm, from: ALICE, text: "delivered late by the network", date: new Date(start - 3_600_000) });
    await bot.poll();
    vi.setSystemTime(start + 3 * 3_600_000); // the Mac slept for three hours
    bot.fixture.message({ chat: dm, from: ALICE, text: "sent during the night", date: new Date(start + 3_600_000) });
    bot.fixture.message({ chat: dm, from: ALICE, text: "sent just before waking", date: new Date(start + 3 * 3_600_000 - 60_000) });
    await bot.poll();
    expect(bot.events.map((e) => e.type === "message" && e.text)).toEqual(["delivered late by the network", "sent just before waking"]);
  });

  it("never fences rows without a date of their own", async () => {
    const bot = await testBot({ startAt: "latest", maxMessageAgeMs: 1 });
    const dm = bot.fixture.dm(ALICE);
    bot.fixture.message({ chat: dm, from: ALICE, text: "undated", rawDate: 0 });
    bot.fixture.message({ chat: dm, from: ALICE, text: "an hour old", date: new Date(Date.now() - 3_600_000) });
    await bot.poll();
    expect(bot.events.map((e) => e.type === "message" && e.text)).toEqual(["undated"]);
  });
});
