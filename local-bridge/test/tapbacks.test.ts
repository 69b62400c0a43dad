import { describe, expect, it } from "vitest";
import { testBot } from "./bot.ts";

const ALICE = "+15551234567";

async function withTarget() {
  const bot = await testBot();
  const dm = bot.fixture.dm(ALICE);
  const target = bot.fixture.message({ chat: dm, from: ALICE, text: "look at this" });
  await bot.poll();
  bot.events.length = 0;
  return { ...bot, dm, target };
}

describe("emoji tapbacks (2006/3006)", () => {
  it("turns 2006 with associated_message_emoji into onReaction with the emoji, added, on the target without its p:0/ prefix", async () => {
    const { fixture, dm, target, poll, events } = await withTarget();
    fixture.message({ chat: dm, from: ALICE, attributedOnly: true, text: "Reacted 💀 to “look at this”", associatedMessageType: 2006, associatedMessageEmoji: "💀", associatedMessageGuid: `p:0/${target.guid}` });
    await poll();
    expect(events).toEqual([
      {
        type: "reaction",
        messageId: target.guid,
        emoji: "💀",
        rawEmoji: "💀",
        added: true,
        threadId: `imessage:any;-;${ALICE}`,
        user: ALICE,
        raw: expect.objectContaining({ content: expect.objectContaining({ tapback: "emoji", target: { id: target.guid, part: 0 } }) }),
      },
    ]);
  });

  it("reports the removal (3006) with added false, and keeps emoji with skin tones and ZWJ sequences as stored", async () => {
    const { fixture, dm, target, poll, events } = await withTarget();
    for (const emoji of ["👍🏽", "🧑‍💻", "❤️‍🔥"]) {
      fixture.message({ chat: dm, from: ALICE, associatedMessageType: 2006, associatedMessageEmoji: emoji, associatedMessageGuid: `p:0/${target.guid}` });
    }
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 3006, associatedMessageEmoji: "🧑‍💻", associatedMessageGuid: `p:0/${target.guid}` });
    await poll();
    expect(events.map((e) => e.type === "reaction" && [e.rawEmoji, e.emoji, e.added, e.messageId])).toEqual([
      ["👍🏽", "👍🏽", true, target.guid],
      ["🧑‍💻", "🧑‍💻", true, target.guid],
      ["❤️‍🔥", "❤️‍🔥", true, target.guid],
      ["🧑‍💻", "🧑‍💻", false, target.guid],
    ]);
  });

  it("passes the part index on in raw (p:2/ = third part) and strips bp: and p:N/ from the target id", async () => {
    const { fixture, dm, target, poll, events } = await withTarget();
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 2006, associatedMessageEmoji: "🔥", associatedMessageGuid: `p:2/${target.guid}` });
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 2001, associatedMessageGuid: `p:11/${target.guid}` });
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 2006, associatedMessageEmoji: "🎉", associatedMessageGuid: `bp:${target.guid}` });
    await poll();
    const targets = events.map((e) => (e.type === "reaction" ? [e.messageId, (e.raw as { content: { target: unknown } }).content.target] : e));
    expect(targets).toEqual([
      [target.guid, { id: target.guid, part: 2 }],
      [target.guid, { id: target.guid, part: 11 }],
      [target.guid, { id: target.guid }],
    ]);
  });

  it("hands over no reaction (and no message) for a 2006 row without an emoji, and does not stop on it", async () => {
    const { fixture, dm, target, poll, events } = await withTarget();
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 2006, associatedMessageGuid: `p:0/${target.guid}` });
    fixture.message({ chat: dm, from: ALICE, text: "still here" });
    await poll();
    expect(events.map((e) => e.type === "message" && e.text)).toEqual(["still here"]);
  });
});

describe("sticker tapbacks (2007/3007, 1000)", () => {
  it("hands a placed sticker to onReaction as the emoji `sticker`, with the sticker file in raw, and its removal with added false", async () => {
    const { fixture, dm, target, poll, events } = await withTarget();
    fixture.message({
      chat: dm,
      from: ALICE,
      associatedMessageType: 2007,
      associatedMessageGuid: `p:0/${target.guid}`,
      attachments: [{ filename: "~/Library/Messages/StickerCache/ab/sticker.heic", mimeType: "image/heic", transferName: "sticker.heic", totalBytes: 1234 }],
    });
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 3007, associatedMessageGuid: `p:0/${target.guid}` });
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 1000, associatedMessageGuid: `p:0/${target.guid}` });
    await poll();
    expect(events.map((e) => e.type === "reaction" && [e.emoji, e.rawEmoji, e.added, e.messageId])).toEqual([
      ["sticker", "sticker", true, target.guid],
      ["sticker", "sticker", false, target.guid],
      ["sticker", "sticker", true, target.guid],
    ]);
    const raw = (events[0] as { raw: { content: { sticker?: unknown } } }).raw;
    expect(raw.content.sticker).toMatchObject({ type: "attachment", name: "sticker.heic", mimeType: "image/heic", size: 1234 });
    expect(events.some((e) => e.type === "message")).toBe(false);
  });
});

describe("classic tapbacks still", () => {
  it("map 2000–2005 / 3000–3005 to the six tapback emoji", async () => {
    const { fixture, dm, target, poll, events } = await withTarget();
    for (let code = 2000; code <= 2005; code++) fixture.message({ chat: dm, from: ALICE, associatedMessageType: code, associatedMessageGuid: `p:0/${target.guid}` });
    fixture.message({ chat: dm, from: ALICE, associatedMessageType: 3004, associatedMessageGuid: `p:0/${target.guid}` });
    await poll();
    expect(events.map((e) => e.type === "reaction" && `${e.emoji}:${e.rawEmoji}:${e.added}`)).toEqual([
      "heart:❤️:true", "thumbs_up:👍:true", "thumbs_down:👎:true", "laugh:😂:true", "exclamation:‼️:true", "question:❓:true",
      "exclamation:‼️:false",
    ]);
  });
});
