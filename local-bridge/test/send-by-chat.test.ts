import { describe, expect, it } from "vitest";
import { testBot } from "./bot.ts";

const ALICE = "+15551234567";

function script(target: string, text: string): string {
  return `tell application "Messages"\n${target}\tsend "${text}" to targetRecipient\nend tell\n`;
}
const chatId = (guid: string) => `\tset targetRecipient to chat id "${guid}"\n`;
const participant = (address: string, service: string) =>
  `\tset targetAccount to 1st account whose service type = ${service}\n\tset targetRecipient to participant "${address}" of targetAccount\n`;

describe("sending to existing chats by chat GUID", () => {
  it.each([
    ["an iMessage DM", "iMessage"],
    ["a DM macOS 26 created as any;-;", "any"],
    ["an SMS chat", "SMS"],
    ["an RCS chat", "RCS"],
  ])("replies in %s with `chat id` and its stored GUID", async (_name, service) => {
    const bot = await testBot({ reply: (text) => `re: ${text}` });
    const dm = bot.fixture.dm(ALICE, service);
    bot.fixture.message({ chat: dm, from: ALICE, text: "hello" });
    await bot.poll();
    expect(bot.events.map((e) => e.type === "message" && e.threadId)).toEqual([`imessage:any;-;${ALICE}`]);
    expect(bot.scripts).toEqual([script(chatId(`${service};-;${ALICE}`), "re: hello")]);
  });

  it("replies in a group with `chat id`", async () => {
    const bot = await testBot();
    const group = bot.fixture.group("chat914325730198374", [ALICE, "bob@example.com"], "Weekend");
    bot.fixture.message({ chat: group, from: ALICE, text: "@bot hi" });
    await bot.poll();
    const [event] = bot.events;
    expect(event).toMatchObject({ type: "message", handler: "mention" });
    await bot.chat.thread((event as { threadId: string }).threadId).post("hi all");
    expect(bot.scripts).toEqual([script(chatId("iMessage;+;chat914325730198374"), "hi all")]);
  });

  it("finds the stored chat whatever service prefix the thread id carries (any;-; thread, SMS chat)", async () => {
    const bot = await testBot();
    bot.fixture.dm(ALICE, "SMS");
    await bot.adapter.postMessage(`imessage:any;-;${ALICE}`, "over SMS");
    expect(bot.scripts).toEqual([script(chatId(`SMS;-;${ALICE}`), "over SMS")]);
  });
});

describe("starting a new DM", () => {
  it("uses `participant … of account` on iMessage for an address the database does not know", async () => {
    const bot = await testBot();
    const thread = await bot.adapter.openDM("+15550001111");
    await bot.chat.thread(thread).post("hello stranger");
    expect(bot.scripts).toEqual([script(participant("+15550001111", "iMessage"), "hello stranger")]);
  });

  it("uses the SMS account for an address the database knows only over SMS or RCS", async () => {
    const bot = await testBot();
    bot.fixture.handle("+15550002222", "SMS");
    bot.fixture.handle("+15550003333", "RCS");
    await bot.adapter.postMessage("imessage:any;-;+15550002222", "sms only");
    await bot.adapter.postMessage("imessage:any;-;+15550003333", "rcs only");
    expect(bot.scripts).toEqual([
      script(participant("+15550002222", "SMS"), "sms only"),
      script(participant("+15550003333", "SMS"), "rcs only"),
    ]);
  });

  it("prefers iMessage when the address has an iMessage handle too", async () => {
    const bot = await testBot();
    bot.fixture.handle("+15550004444", "SMS");
    bot.fixture.handle("+15550004444", "iMessage");
    await bot.adapter.postMessage("imessage:SMS;-;+15550004444", "both");
    expect(bot.scripts).toEqual([script(participant("+15550004444", "iMessage"), "both")]);
  });

  it("never writes `service type = any`", async () => {
    const bot = await testBot();
    bot.fixture.dm(ALICE, "any");
    await bot.adapter.postMessage(`imessage:any;-;${ALICE}`, "a");
    await bot.adapter.postMessage("imessage:any;-;+15550005555", "b");
    expect(bot.scripts.join("")).not.toMatch(/service type = any/i);
  });
});
