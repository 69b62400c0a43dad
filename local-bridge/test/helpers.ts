/**
 * @module local-bridge/test/helpers
 * Temporary folders and a Chat instance stand-in that records what the adapter hands to the Chat SDK.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatInstance, Message, WebhookOptions } from "chat";
import { afterEach } from "vitest";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const folder = mkdtempSync(join(tmpdir(), "local-bridge-"));
  folders.push(folder);
  return folder;
}

export interface RecordedMessage {
  threadId: string;
  message: Message;
  options: WebhookOptions | undefined;
}

export interface RecordedReaction {
  threadId: string;
  messageId: string;
  rawEmoji: string;
  emoji: { name: string };
  added: boolean;
  user: { userId: string };
}

/** Records `processMessage` / `processReaction` calls like the Chat SDK receives them. */
export function recordingChat() {
  const messages: RecordedMessage[] = [];
  const reactions: RecordedReaction[] = [];
  const chat = {
    processMessage: async (_adapter: unknown, threadId: string, message: Message, options?: WebhookOptions) => {
      messages.push({ threadId, message, options });
    },
    processReaction: (event: RecordedReaction, _options?: WebhookOptions) => {
      reactions.push(event);
    },
    getLogger: () => undefined,
  } as unknown as ChatInstance;
  return { chat, messages, reactions };
}
