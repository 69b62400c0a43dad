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
import type { EchoGuard } from "./echo.ts";
import { unknownConversationError } from "./errors.ts";
import type { OsascriptRunner } from "./osascript.ts";
import type { OutgoingFile } from "chat-adapter-imessage/extend";

export interface SenderOptions {
  db: ChatDb;
  run: OsascriptRunner;
  /** Folder where outgoing files are written before Messages sends them (default: a temp folder). */
  outboxDir?: string;
  /** Told about every text and file before it is sent, so their copies in the database are recognised. */
  echo?: EchoGuard;
}

/** What was sent, for the caller's records. */
export interface SendReceipt {
  /** The real chat GUID the message went to. */
  chatGuid: string;
  script: string;
}

/**
 * Sends through Messages: to a conversation the database has, by its chat GUID; to an address with no
 * conversation yet, as a new DM on a service the address supports (iMessage unless the database only
 * knows it over SMS/RCS, or the GUID says SMS). New group chats cannot be created.
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

  /** The send target for a chat GUID, or an error naming the unknown group. */
  target(chatGuid: string): { target: SendTarget; chatGuid: string } {
    const chat = this.options.db.findChat(chatGuid);
    if (chat) return { target: { kind: "chat", chatGuid: chat.guid }, chatGuid: chat.guid };
    const dm = /^([^;]*);-;(.+)$/.exec(chatGuid);
    if (!dm) throw unknownConversationError(chatGuid);
    const address = dm[2] as string;
    const services = this.options.db.servicesOf(address);
    const smsOnly = services.length > 0 && !services.includes("iMessage") && services.some((s) => s === "SMS" || s === "RCS");
    const service = smsOnly || (services.length === 0 && /^(SMS|RCS)$/i.test(dm[1] as string)) ? "SMS" : "iMessage";
    return { target: { kind: "participant", address, service }, chatGuid };
  }

  async send(chatGuid: string, content: { text?: string; files?: readonly OutgoingFile[] }): Promise<SendReceipt> {
    const { target, chatGuid: resolved } = this.target(chatGuid);
    const files = await this.writeFiles(content.files ?? []);
    const script = buildSendScript(target, { text: content.text, files });
    const echo = this.options.echo;
    const forget = [
      ...(content.text && echo ? [echo.recordSend(resolved, content.text)] : []),
      ...(echo ? files.map((file) => echo.recordSend(resolved, basename(file))) : []),
    ];
    try {
      await this.options.run(script);
    } catch (error) {
      for (const undo of forget) undo();
      throw error;
    }
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
