/**
 * @module local-bridge/test/bot
 * A real Chat SDK bot on the real local adapter over a fixture Messages database, recording every
 * event the SDK hands to handlers, and every AppleScript the adapter would run.
 */
import { join } from "node:path";
import { Chat, ConsoleLogger, type Message } from "chat";
import { createMemoryState } from "../../test/memory-state.ts";
import type { LocalIMessageAdapter, LocalModeOptions } from "../src/adapter.ts";
import { createiMessageAdapter } from "../src/create.ts";
import { memoryWatermark } from "../src/watermark.ts";
import { ChatDbFixture } from "./fixtures/chat-db.ts";
import { tempDir } from "./helpers.ts";

/** One event a handler received, reduced to what tests compare. */
export type BotEvent =
  | { type: "message"; handler: "direct" | "mention" | "subscribed"; id: string; text: string; threadId: string; author: string; isMe: boolean; raw: unknown; dateSent: Date }
  | { type: "reaction"; messageId: string; emoji: string; rawEmoji: string; added: boolean; threadId: string; user: string; raw: unknown }
  | { type: "updated"; id: string; text: string; threadId: string; edited: boolean; editedAt: Date | undefined }
  | { type: "deleted"; messageId: string; threadId: string; deletedAt: Date | undefined };

export interface TestBot {
  dir: string;
  dbPath: string;
  fixture: ChatDbFixture;
  adapter: LocalIMessageAdapter;
  chat: Chat;
  events: BotEvent[];
  scripts: string[];
  /** Reads the database once (new rows, then edits), as a poll does. */
  poll(): Promise<number>;
}

const logger = new ConsoleLogger("error");

function messageEvent(handler: "direct" | "mention" | "subscribed", message: Message, threadId: string): BotEvent {
  return {
    type: "message",
    handler,
    id: message.id,
    text: message.text,
    threadId,
    author: message.author.userId,
    isMe: message.author.isMe === true,
    raw: message.raw,
    dateSent: message.metadata.dateSent,
  };
}

/**
 * A bot over a fresh database (or `dbPath`), reading from the beginning unless options say otherwise.
 * `reply` makes the DM handler answer each message with that text.
 */
export async function testBot(
  options: Partial<LocalModeOptions> & { dir?: string; reply?: (text: string) => string | undefined } = {},
): Promise<TestBot> {
  const dir = options.dir ?? tempDir();
  const dbPath = options.dbPath ?? join(dir, "chat.db");
  const fixture = new ChatDbFixture(dbPath);
  const scripts: string[] = [];
  const { reply, dir: _dir, ...local } = options;
  const adapter = createiMessageAdapter({
    local: true,
    dbPath,
    homeDir: dir,
    env: {},
    userName: "bot",
    logger,
    watermark: memoryWatermark(),
    startAt: "beginning",
    autoStart: false,
    runOsascript: async (script) => (scripts.push(script), { stdout: "", stderr: "" }),
    ...local,
  });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
  const events: BotEvent[] = [];
  chat.onDirectMessage(async (thread, message) => {
    events.push(messageEvent("direct", message, thread.id));
    const answer = reply?.(message.text);
    if (answer !== undefined) await thread.post(answer);
  });
  chat.onNewMention(async (thread, message) => void events.push(messageEvent("mention", message, thread.id)));
  chat.onSubscribedMessage(async (thread, message) => void events.push(messageEvent("subscribed", message, thread.id)));
  chat.onReaction(async (event) => {
    events.push({
      type: "reaction",
      messageId: event.messageId,
      emoji: event.emoji.name,
      rawEmoji: event.rawEmoji,
      added: event.added,
      threadId: event.threadId,
      user: event.user.userId,
      raw: event.raw,
    });
  });
  chat.onMessageUpdated(async (thread, message) => {
    events.push({ type: "updated", id: message.id, text: message.text, threadId: thread.id, edited: message.metadata.edited, editedAt: message.metadata.editedAt });
  });
  chat.onMessageDeleted(async (event) => {
    events.push({ type: "deleted", messageId: event.messageId, threadId: event.threadId, deletedAt: event.deletedAt });
  });
  await chat.initialize();
  return { dir, dbPath, fixture, adapter, chat, events, scripts, poll: () => adapter.watcher.poll() };
}
