import { describe, expect, it } from "vitest";
import { EchoGuard } from "../src/echo.ts";
import type { LocalMessage } from "../src/chat-db.ts";
import { testBot } from "./bot.ts";

const OWNER = "+15557654321";
const ALICE = "+15551234567";
const SELF_THREAD = `imessage:any;-;${OWNER}`;

/** A bot whose Messages account is the owner's, with the chat the owner has with their own number. */
async function selfChatBot(reply?: (text: string) => string | undefined) {
  const bot = await testBot({ reply });
  const self = bot.fixture.dm(OWNER);
  const write = (text: string, isFromMe: boolean, date = new Date()) =>
    bot.fixture.message({ chat: self, from: isFromMe ? undefined : OWNER, isFromMe, text, attributedOnly: true, destinationCallerId: OWNER, date });
  return { ...bot, self, write };
}

describe("self-chat (messaging your own number)", () => {
  it("hands the owner's message from another device (is_from_me 1, text only in attributedBody, no received copy) to the bot once", async () => {
    const { write, poll, events } = await selfChatBot();
    const ping = write("Ping", true);
    await poll();
    await poll();
    expect(events).toEqual([
      expect.objectContaining({ type: "message", handler: "direct", id: ping.guid, text: "Ping", threadId: SELF_THREAD, author: OWNER, isMe: false }),
    ]);
  });

  it("hands it over once when Messages also writes the received copy (is_from_me 0), in either order", async () => {
    const { write, poll, events } = await selfChatBot();
    write("Ping", true);
    write("Ping", false);
    await poll();
    write("Second", false);
    await poll();
    write("Second", true);
    await poll();
    expect(events.map((e) => e.type === "message" && e.text)).toEqual(["Ping", "Second"]);
  });

  it("never hands the bot its own send coming back (is_from_me 1 and the is_from_me 0 copy 2 s later): no loop", async () => {
    const { adapter, write, poll, events, scripts } = await selfChatBot();
    await adapter.postMessage(SELF_THREAD, "Pong");
    write("Pong", true);
    write("Pong", false, new Date(Date.now() + 2000));
    await poll();
    expect(events).toEqual([]);
    expect(scripts).toHaveLength(1);
  });

  it("answers a self-chat message once even though every reply comes back twice", async () => {
    const { write, poll, events, scripts } = await selfChatBot((text) => (text === "Ping" ? "Pong" : `echo ${text}`));
    write("Ping", true);
    for (let round = 0; round < 3; round++) {
      await poll();
      // Messages writes each reply the bot sent, as sent and as received.
      for (const script of scripts.splice(0)) {
        const text = /send "(.*)" to targetRecipient/.exec(script)?.[1] as string;
        write(text, true);
        write(text, false);
      }
    }
    expect(events.map((e) => e.type === "message" && e.text)).toEqual(["Ping"]);
  });

  it("still hands over the owner typing the same words as a bot reply, once the reply's copies came back", async () => {
    const { adapter, write, poll, events } = await selfChatBot();
    await adapter.postMessage(SELF_THREAD, "ok");
    write("ok", true);
    write("ok", false);
    await poll();
    write("ok", true);
    await poll();
    expect(events.map((e) => e.type === "message" && e.text)).toEqual(["ok"]);
  });

  it("does not swallow someone else's message that matches what the bot just sent them", async () => {
    const { adapter, fixture, poll, events } = await selfChatBot();
    const dm = fixture.dm(ALICE);
    await adapter.postMessage(`imessage:iMessage;-;${ALICE}`, "thanks");
    fixture.message({ chat: dm, isFromMe: true, text: "thanks" });
    fixture.message({ chat: dm, from: ALICE, text: "thanks" });
    await poll();
    expect(events.map((e) => e.type === "message" && [e.author, e.text])).toEqual([[ALICE, "thanks"]]);
  });

  it("still skips the owner's own messages in other chats", async () => {
    const { fixture, poll, events } = await selfChatBot();
    const dm = fixture.dm(ALICE);
    fixture.message({ chat: dm, isFromMe: true, text: "written on my phone to Alice", destinationCallerId: OWNER });
    await poll();
    expect(events).toEqual([]);
  });

  it("recognises the chat with an address given in ownAddresses when the row names another of the owner's addresses", async () => {
    const bot = await testBot({ ownAddresses: ["Owner@iCloud.com"] });
    const self = bot.fixture.dm("owner@icloud.com");
    bot.fixture.message({ chat: self, isFromMe: true, text: "note to self", destinationCallerId: OWNER });
    await bot.poll();
    expect(bot.events).toEqual([expect.objectContaining({ type: "message", text: "note to self", author: "owner@icloud.com", isMe: false })]);
  });
});

describe("EchoGuard", () => {
  const row = (text: string, isFromMe: boolean, date: number): LocalMessage => ({
    rowid: 1, guid: `G-${text}-${date}`, chatGuid: `iMessage;-;${OWNER}`, isGroup: false, chatName: undefined, sender: OWNER,
    date: new Date(date), dateSource: "database", isFromMe, isSelfChat: true, text, attachments: [], tapback: undefined,
    associatedMessageType: 0, dateEdited: undefined, dateRetracted: undefined, editStamp: "0", summary: undefined,
  });

  it("matches echoes by the rows' own dates, so a bot reading them minutes late (slow handlers) still recognises them", () => {
    let now = 1_000_000;
    const guard = new EchoGuard({ now: () => now });
    guard.recordSend(`any;-;${OWNER}`, "Pong");
    now += 120_000;
    expect(guard.isOwnSend(row("Pong", true, 1_001_000))).toBe(true);
    expect(guard.isOwnSend(row("Pong", false, 1_002_000))).toBe(true);
    expect(guard.isOwnSend(row("Pong", false, 1_003_000))).toBe(false);
  });

  it("does not take a row written well after the send (the owner typing the same words) for its echo", () => {
    const guard = new EchoGuard({ now: () => 1_000_000 });
    guard.recordSend(`iMessage;-;${OWNER}`, "ok");
    expect(guard.isOwnSend(row("ok", true, 1_000_000 + 60_000))).toBe(false);
    expect(guard.isOwnSend(row("ok", true, 1_000_000 - 10_000))).toBe(false);
  });
});
