import { describe, expect, it } from "vitest";
import { testBot } from "./bot.ts";
import { appendTodayRows, OWNER } from "./fixtures/sample.ts";

describe("a database of current macOS (the fixture builder's --today rows)", () => {
  it("reaches the bot as exactly these Chat SDK events", async () => {
    const bot = await testBot();
    bot.fixture.close();
    const rows = appendTodayRows(bot.dbPath);
    await bot.poll();
    await bot.poll();
    const thread = "imessage:any;-;+15550001234";
    expect(
      bot.events.map((e) => {
        if (e.type === "message") return ["message", e.id, e.text, e.author, (e.raw as { local: { dateSource: string } }).local.dateSource];
        if (e.type === "reaction") return ["reaction", e.messageId, e.rawEmoji, e.added, e.threadId];
        return [e.type];
      }),
    ).toEqual([
      ["message", rows.target.guid, "what do you think?", "+15550001234", "database"],
      ["reaction", rows.target.guid, "💀", true, thread],
      ["reaction", rows.target.guid, "💀", false, thread],
      ["reaction", rows.target.guid, "sticker", true, thread],
      ["message", rows.edited.guid, "meet at 6", "+15550001234", "database"],
      ["message", rows.note.guid, "note to self", OWNER, "database"],
      ["message", rows.undated.guid, "  no date  ", "+15550001234", "seen"],
    ]);
  });
});
