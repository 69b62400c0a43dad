import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConsoleLogger, NotImplementedError } from "chat";
import { describe, expect, it } from "vitest";
import { iMessageAdapter } from "chat-adapter-imessage";
import { LocalIMessageAdapter } from "../src/adapter.ts";
import { createiMessageAdapter } from "../src/create.ts";
import { memoryWatermark } from "../src/watermark.ts";
import { ALICE, BOB, buildSampleChatDb } from "./fixtures/sample.ts";
import { recordingChat, tempDir } from "./helpers.ts";

const logger = new ConsoleLogger("error");

async function localBot() {
  const home = tempDir();
  const dbPath = join(home, "chat.db");
  const sample = buildSampleChatDb(dbPath);
  const photoPath = join(home, "Library/Messages/Attachments/ab/11/ATT-1/IMG_0042.HEIC");
  mkdirSync(dirname(photoPath), { recursive: true });
  writeFileSync(photoPath, "heic bytes");
  const scripts: string[] = [];
  const adapter = createiMessageAdapter({
    local: true,
    dbPath,
    homeDir: home,
    env: {},
    userName: "bot",
    logger,
    watermark: memoryWatermark(),
    startAt: "beginning",
    autoStart: false,
    runOsascript: async (script) => (scripts.push(script), { stdout: "", stderr: "" }),
  });
  const recorded = recordingChat();
  await adapter.initialize(recorded.chat);
  await adapter.watcher.poll();
  return { adapter, sample, scripts, ...recorded };
}

describe("createiMessageAdapter in Node", () => {
  it("defaults to local mode without remote credentials, and shares the Worker adapter's option handling", () => {
    const dbPath = join(tempDir(), "chat.db");
    buildSampleChatDb(dbPath);
    const adapter = createiMessageAdapter({ env: { IMESSAGE_DB_PATH: dbPath, IMESSAGE_USER_NAME: "mybot" }, logger, watermark: memoryWatermark() });
    expect(adapter).toBeInstanceOf(LocalIMessageAdapter);
    expect(adapter.name).toBe("imessage");
    expect(adapter.userName).toBe("mybot");
  });

  it("returns the Worker adapter for cloud credentials (Node runs it for cloud and self-host)", () => {
    const adapter = createiMessageAdapter({ env: { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s" }, logger });
    expect(adapter).toBeInstanceOf(iMessageAdapter);
    expect(adapter).not.toBeInstanceOf(LocalIMessageAdapter);
  });
});

describe("local adapter inbound", () => {
  it("hands DMs to chat.processMessage with the chat.guid thread id and waitUntil", async () => {
    const { messages, sample } = await localBot();
    const hello = messages.find((m) => m.message.id === sample.hello.guid);
    expect(hello?.threadId).toBe(`imessage:any;-;${ALICE}`);
    expect(hello?.message.text).toBe("hey bot, what's up?");
    expect(hello?.message.author).toMatchObject({ userId: ALICE, isMe: false, isBot: false });
    expect(hello?.message.isMention).toBe(true);
    expect(typeof hello?.options?.waitUntil).toBe("function");
  });

  it("routes group messages with the group thread id and detects @mentions", async () => {
    const { messages, sample } = await localBot();
    const group = messages.find((m) => m.message.id === sample.inGroup.guid);
    expect(group?.threadId).toBe("imessage:any;+;chat914325730198374");
    expect(group?.message.author.userId).toBe(BOB);
    expect(group?.message.isMention).toBe(true);
  });

  it("delivers text from attributedBody and attachments whose bytes come from disk", async () => {
    const { messages, sample } = await localBot();
    expect(messages.find((m) => m.message.id === sample.real.guid)?.message.text).toBe("TEST");
    const photo = messages.find((m) => m.message.id === sample.photo.guid)?.message;
    expect(photo?.attachments).toHaveLength(1);
    expect(photo?.attachments[0]).toMatchObject({ type: "image", name: "IMG_0042.HEIC", mimeType: "image/heic", size: 482_113 });
    const bytes = await photo?.attachments[0]?.fetchData?.();
    expect(Buffer.from(bytes as ArrayBuffer).toString()).toBe("heic bytes");
  });

  it("never hands over own messages", async () => {
    const { messages, sample } = await localBot();
    expect(messages.map((m) => m.message.id)).not.toContain(sample.own.guid);
    expect(messages.every((m) => !m.message.author.isMe)).toBe(true);
  });

  it("turns tapbacks into chat.processReaction, added and removed, on the target message", async () => {
    const { reactions, messages, sample } = await localBot();
    expect(reactions.map((r) => [r.messageId, r.emoji.name, r.rawEmoji, r.added])).toEqual([
      [sample.hello.guid, "heart", "❤️", true],
      [sample.hello.guid, "heart", "❤️", false],
      [sample.inGroup.guid, "laugh", "😂", true],
    ]);
    expect(reactions[0]?.threadId).toBe(`imessage:any;-;${ALICE}`);
    expect(reactions[0]?.user.userId).toBe(ALICE);
    expect(messages.map((m) => m.message.id)).not.toContain(sample.love.guid);
  });
});

describe("local adapter outbound", () => {
  it("posts markdown as plain text to a conversation it received", async () => {
    const { adapter, scripts } = await localBot();
    const sent = await adapter.postMessage(`imessage:iMessage;-;${ALICE}`, { markdown: '**Hello** _there_, "friend"\n\n- one\n- two' });
    expect(sent.threadId).toBe(`imessage:iMessage;-;${ALICE}`);
    expect(sent.id).toMatch(/^local-out:/);
    expect(scripts[0]).toBe(
      [
        'tell application "Messages"',
        `\tset targetRecipient to chat id "iMessage;-;${ALICE}"`,
        '\tsend "Hello there, \\"friend\\"\\n\\n• one\\n• two" to targetRecipient',
        "end tell",
        "",
      ].join("\n"),
    );
  });

  it("sends files to a group", async () => {
    const { adapter, scripts } = await localBot();
    await adapter.postMessage("imessage:iMessage;+;chat914325730198374", {
      raw: "chart attached",
      files: [{ filename: "chart.png", mimeType: "image/png", data: Buffer.from([0x89, 0x50]) }],
    });
    expect(scripts[0]).toContain('\tset targetRecipient to chat id "iMessage;+;chat914325730198374"');
    expect(scripts[0]).toMatch(/\tsend "chart attached" to targetRecipient\n\tsend POSIX file ".+\/chart\.png" to targetRecipient\n/);
  });

  it("starts a new DM with an address it never saw, but refuses to create a group", async () => {
    const { adapter, scripts } = await localBot();
    await expect(adapter.openDM(ALICE)).resolves.toBe(`imessage:any;-;${ALICE}`);
    const thread = await adapter.openDM("+15550000000");
    expect(thread).toBe("imessage:any;-;+15550000000");
    await adapter.postMessage(thread, "hi");
    expect(scripts[0]).toBe(
      'tell application "Messages"\n\tset targetAccount to 1st account whose service type = iMessage\n' +
        '\tset targetRecipient to participant "+15550000000" of targetAccount\n\tsend "hi" to targetRecipient\nend tell\n',
    );
    await expect(adapter.postMessage("imessage:any;+;chat000", "hi")).rejects.toThrow(/cannot create group chats/);
  });

  it.each([
    ["editMessage", (a: LocalIMessageAdapter) => a.editMessage()],
    ["deleteMessage", (a: LocalIMessageAdapter) => a.deleteMessage()],
    ["addReaction", (a: LocalIMessageAdapter) => a.addReaction()],
    ["removeReaction", (a: LocalIMessageAdapter) => a.removeReaction()],
    ["startTyping", (a: LocalIMessageAdapter) => a.startTyping()],
    ["fetchMessages", (a: LocalIMessageAdapter) => a.fetchMessages()],
    ["fetchThread", (a: LocalIMessageAdapter) => a.fetchThread()],
    ["openModal", (a: LocalIMessageAdapter) => a.openModal()],
  ])("%s throws NotImplementedError naming the operation", async (operation, call) => {
    const { adapter } = await localBot();
    const error = await call(adapter).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NotImplementedError);
    expect((error as NotImplementedError).feature).toBe(operation);
    expect((error as Error).message).toContain(operation);
  });

  it("answers webhooks with 404: local mode has none", async () => {
    const { adapter } = await localBot();
    const response = await adapter.handleWebhook(new Request("http://localhost/api/imessage/webhook", { method: "POST" }));
    expect(response.status).toBe(404);
  });
});
