import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openJournal } from "../src/journal.ts";
import { readSummaryInfo } from "../src/summary-info.ts";
import { fileWatermark } from "../src/watermark.ts";
import { testBot } from "./bot.ts";
import { encodeBinaryPlist } from "./fixtures/bplist-encoder.ts";
import { tempDir } from "./helpers.ts";

const ALICE = "+15551234567";
const THREAD = `imessage:any;-;${ALICE}`;

async function delivered(text = "see you at 5") {
  const bot = await testBot();
  const dm = bot.fixture.dm(ALICE);
  const original = bot.fixture.message({ chat: dm, from: ALICE, text, attributedOnly: true });
  await bot.poll();
  expect(bot.events.map((e) => e.type === "message" && e.text)).toEqual([text]);
  bot.events.length = 0;
  return { ...bot, dm, original };
}

describe("message_summary_info", () => {
  it("reads edited parts (ec), unsent parts (rp) and the part count (otr)", () => {
    const blob = encodeBinaryPlist({ otr: { "0": { lo: 0, le: 3 }, "1": { lo: 3, le: 4 } }, ec: { "1": [{ d: 1, t: new Uint8Array([1]) }] }, rp: [0] });
    expect(readSummaryInfo(blob)).toEqual({ editedParts: [1], retractedParts: [0], partCount: 2 });
    expect(readSummaryInfo(Buffer.from("not a plist"))).toBeUndefined();
    expect(readSummaryInfo(null)).toBeUndefined();
    expect(readSummaryInfo(encodeBinaryPlist({ otr: { "0": {} } }))).toEqual({ editedParts: [], retractedParts: [], partCount: 1 });
  });
});

describe("edits", () => {
  it("turn a row rewritten with date_edited and a new body into onMessageUpdated with the new text, once", async () => {
    const { fixture, original, poll, events } = await delivered();
    const at = new Date(Date.now() + 5_000);
    fixture.edit(original.rowid, ["see you at 5", "see you at 6"], at);
    await poll();
    expect(events).toEqual([{ type: "updated", id: original.guid, text: "see you at 6", threadId: THREAD, edited: true, editedAt: new Date(Math.round(at.getTime())) }]);
    await poll();
    expect(events).toHaveLength(1);
  });

  it("follow each of several edits of one message, in order, and edits of two messages in edit order", async () => {
    const { fixture, dm, original, poll, events } = await delivered();
    const other = fixture.message({ chat: dm, from: ALICE, text: "and bring chips" });
    await poll();
    events.length = 0;
    const t0 = Date.now();
    fixture.edit(other.rowid, ["and bring chips", "and bring dip"], new Date(t0 + 1000));
    fixture.edit(original.rowid, ["see you at 5", "see you at 7"], new Date(t0 + 2000));
    await poll();
    fixture.edit(original.rowid, ["see you at 5", "see you at 7", "see you at 8"], new Date(t0 + 3000));
    await poll();
    expect(events.map((e) => e.type === "updated" && [e.id, e.text])).toEqual([
      [other.guid, "and bring dip"],
      [original.guid, "see you at 7"],
      [original.guid, "see you at 8"],
    ]);
  });

  it("hand over a message already edited when first read as one message with its current text, not also as an edit", async () => {
    const bot = await testBot();
    const dm = bot.fixture.dm(ALICE);
    const row = bot.fixture.message({ chat: dm, from: ALICE, text: "typo" });
    bot.fixture.edit(row.rowid, ["typo", "fixed"]);
    await bot.poll();
    await bot.poll();
    expect(bot.events.map((e) => [e.type, e.type === "message" ? e.text : ""])).toEqual([["message", "fixed"]]);
  });

  it("are not reported for messages the bot never received (own messages)", async () => {
    const { fixture, dm, poll, events } = await delivered();
    const mine = fixture.message({ chat: dm, text: "bot said this", isFromMe: true });
    await poll();
    fixture.edit(mine.rowid, ["bot said this", "bot said that"]);
    await poll();
    expect(events).toEqual([]);
  });
});

describe("unsends", () => {
  it("turn macOS 26 Undo Send (date_retracted 0, date_edited stamped, body cleared, rp) into onMessageDeleted, never an empty message", async () => {
    const { fixture, original, poll, events } = await delivered();
    const at = new Date(Date.now() + 1000);
    fixture.unsend(original.rowid, at);
    await poll();
    await poll();
    expect(events).toEqual([{ type: "deleted", messageId: original.guid, threadId: THREAD, deletedAt: at }]);
  });

  it("turn an older macOS unsend (date_retracted stamped) into onMessageDeleted", async () => {
    const { fixture, original, poll, events } = await delivered();
    fixture.unsend(original.rowid, new Date(Date.now() + 1000), { legacy: true });
    await poll();
    expect(events.map((e) => [e.type, e.type === "deleted" && e.messageId])).toEqual([["deleted", original.guid]]);
  });

  it("turn a partial unsend (one of two parts in rp, a part left) into onMessageUpdated with what is left", async () => {
    const { fixture, original, poll, events } = await delivered("first part");
    fixture.unsend(original.rowid, new Date(Date.now() + 1000), { parts: [1], partCount: 2, remainingText: "first part" });
    await poll();
    expect(events.map((e) => e.type === "updated" && [e.id, e.text])).toEqual([[original.guid, "first part"]]);
  });

  it("skip a message unsent before the bridge read it: no message, no update, no delete", async () => {
    const bot = await testBot();
    const dm = bot.fixture.dm(ALICE);
    const row = bot.fixture.message({ chat: dm, from: ALICE, text: "oops" });
    bot.fixture.unsend(row.rowid);
    await bot.poll();
    await bot.poll();
    expect(bot.events).toEqual([]);
  });
});

describe("edits across restarts", () => {
  it("are reported once when they happen while the bot is stopped, and not again after the next restart", async () => {
    const dir = tempDir();
    const options = { dir, watermark: fileWatermark(join(dir, "watermark.json")), journalPath: join(dir, "journal.db") };
    const first = await testBot(options);
    const dm = first.fixture.dm(ALICE);
    const row = first.fixture.message({ chat: dm, from: ALICE, text: "draft" });
    await first.poll();
    await first.adapter.disconnect();

    first.fixture.edit(row.rowid, ["draft", "final"], new Date(Date.now() + 1000));
    const second = await testBot({ ...options, watermark: fileWatermark(join(dir, "watermark.json")) });
    await second.poll();
    expect(second.events.map((e) => e.type === "updated" && e.text)).toEqual(["final"]);
    await second.adapter.disconnect();

    const third = await testBot({ ...options, watermark: fileWatermark(join(dir, "watermark.json")) });
    await third.poll();
    expect(third.events).toEqual([]);
    const journal = openJournal(join(dir, "journal.db"));
    expect(journal.status(row.guid)).toBe("done");
    journal.close();
  });
});
