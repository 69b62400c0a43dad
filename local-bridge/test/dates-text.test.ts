import { describe, expect, it } from "vitest";
import { appleTimeToDate } from "../src/apple-time.ts";
import { testBot } from "./bot.ts";

const ALICE = "+15551234567";

type Raw = { timestamp: string; local: { dateSource: string; rowid: number } };

describe("dates", () => {
  it("gives a row with date 0 or NULL no date: the time it was read, and says so in raw", async () => {
    const bot = await testBot();
    const dm = bot.fixture.dm(ALICE);
    bot.fixture.message({ chat: dm, from: ALICE, text: "zero", rawDate: 0 });
    bot.fixture.message({ chat: dm, from: ALICE, text: "null", rawDate: null });
    const before = Date.now();
    await bot.poll();
    const after = Date.now();
    expect(bot.events.map((e) => e.type === "message" && e.text)).toEqual(["zero", "null"]);
    for (const event of bot.events) {
      if (event.type !== "message") throw new Error("expected messages");
      expect(event.dateSent.getTime()).toBeGreaterThanOrEqual(before);
      expect(event.dateSent.getTime()).toBeLessThanOrEqual(after);
      expect((event.raw as Raw).local.dateSource).toBe("seen");
    }
  });

  it("keeps nanosecond and second dates exact, marked as the database's", async () => {
    const bot = await testBot();
    const dm = bot.fixture.dm(ALICE);
    const sent = new Date(Date.now() - 60_000);
    bot.fixture.message({ chat: dm, from: ALICE, text: "ns", date: sent });
    bot.fixture.message({ chat: dm, from: ALICE, text: "s", date: new Date("2016-05-01T12:00:00Z"), dateInSeconds: true });
    await bot.poll();
    const [ns, s] = bot.events as Extract<(typeof bot.events)[number], { type: "message" }>[];
    expect(ns?.dateSent.toISOString()).toBe(sent.toISOString());
    expect((ns?.raw as Raw).local.dateSource).toBe("database");
    expect(s?.dateSent.toISOString()).toBe("2016-05-01T12:00:00.000Z");
  });

  it("converts Apple time without inventing 2001-01-01", () => {
    expect(appleTimeToDate(0)).toBeUndefined();
    expect(appleTimeToDate(null)).toBeUndefined();
    expect(appleTimeToDate(1_000_000_000_000)?.toISOString()).toBe("2001-01-01T00:16:40.000Z");
    expect(appleTimeToDate(785_000_000)?.toISOString()).toBe("2025-11-16T15:33:20.000Z");
  });
});

describe("text is the user's text", () => {
  const samples = ["  padded  ", "\n\nleading newlines", "trailing tab\t", "e\u0301 (decomposed) vs é", "NBSP\u00a0end\u00a0", "CRLF\r\nline", "👋🏽 ‼️"];

  it.each(samples)("arrives exactly as stored in attributedBody and in text: %j", async (text) => {
    const bot = await testBot();
    const dm = bot.fixture.dm(ALICE);
    bot.fixture.message({ chat: dm, from: ALICE, text, attributedOnly: true });
    bot.fixture.message({ chat: dm, from: ALICE, text });
    await bot.poll();
    expect(bot.events.map((e) => e.type === "message" && e.text)).toEqual([text, text]);
  });

  it("goes out exactly as given: no trim, no normalisation, CRLF kept", async () => {
    const bot = await testBot();
    bot.fixture.dm(ALICE);
    await bot.adapter.postMessage(`imessage:iMessage;-;${ALICE}`, "  padded  ");
    await bot.adapter.postMessage(`imessage:iMessage;-;${ALICE}`, { raw: "e\u0301\r\nnext\t" });
    expect(bot.scripts.map((script) => /\tsend (.*) to targetRecipient/.exec(script)?.[1])).toEqual([
      '"  padded  "',
      '"e\u0301\\r\\nnext\\t"',
    ]);
  });
});
