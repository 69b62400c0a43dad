/**
 * @module local-bridge/sender
 * Sends text and files to conversations the Messages database knows, through AppleScript.
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { buildSendScript, type SendTarget } from "./applescript.ts";
import type { ChatDb } from "./chat-db.ts";
import { unknownConversationError } from "./errors.ts";
import type { OsascriptRunner } from "./osascript.ts";
import type { OutgoingFile } from "../../src/adapter/postable.ts";

export interface SenderOptions {
  db: ChatDb;
  run: OsascriptRunner;
  /** Folder where outgoing files are written before Messages sends them (default: a temp folder). */
  outboxDir?: string;
}

/** What was sent, for the caller's records. */
export interface SendReceipt {
  /** The real chat GUID the message went to. */
  chatGuid: string;
  script: string;
}

/**
 * Sends through Messages to conversations already in its database (local mode cannot create chats).
 *
 * @example
 * ```ts
 * const sender = new AppleScriptSender({ db, run: createOsascriptRunner() });
 * await sender.send("iMessage;-;+15551234567", { text: "hello" });
 * ```
 */
export class AppleScriptSender {
  private readonly options: SenderOptions;

  constructor(options: SenderOptions) {
    this.options = options;
  }

  /** The send target for a chat GUID, or an error naming the unknown conversation. */
  target(chatGuid: string): { target: SendTarget; chatGuid: string } {
    const chat = this.options.db.findChat(chatGuid);
    if (!chat) throw unknownConversationError(chatGuid);
    return chat.isGroup
      ? { target: { kind: "group", chatGuid: chat.guid }, chatGuid: chat.guid }
      : { target: { kind: "dm", address: chat.identifier }, chatGuid: chat.guid };
  }

  async send(chatGuid: string, content: { text?: string; files?: readonly OutgoingFile[] }): Promise<SendReceipt> {
    const { target, chatGuid: resolved } = this.target(chatGuid);
    const files = await this.writeFiles(content.files ?? []);
    const script = buildSendScript(target, { text: content.text, files });
    await this.options.run(script);
    return { chatGuid: resolved, script };
  }

  private async writeFiles(files: readonly OutgoingFile[]): Promise<string[]> {
    if (files.length === 0) return [];
    const folder = join(this.options.outboxDir ?? join(tmpdir(), "chat-adapter-imessage-outbox"), randomUUID());
    await mkdir(folder, { recursive: true });
    return Promise.all(
      files.map(async (file, index) => {
        const name = basename(file.filename).replace(/[^\w.\- ]+/g, "_") || `file-${index}`;
        const path = join(folder, name);
        await writeFile(path, file.data);
        return path;
      }),
    );
  }
}
