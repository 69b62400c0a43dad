/**
 * @module local-bridge/adapter
 * The Chat SDK adapter of local macOS mode: the Messages database in, AppleScript out.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type {
  Adapter,
  AdapterPostableMessage,
  ChatInstance,
  FetchResult,
  Logger,
  Message,
  RawMessage,
  ThreadInfo,
  WebhookOptions,
} from "chat";
import type { SlimEnvelope, SlimMessage } from "@spectrum-ts/core/webhook";
import type { LocalConfig } from "../../src/adapter/config.ts";
import { notImplemented, ValidationError } from "../../src/adapter/errors.ts";
import { iMessageThreadMethods } from "../../src/adapter/thread-methods.ts";
import { parseInbound, type InboundContext } from "../../src/adapter/inbound.ts";
import { decodeThreadId, encodeThreadId, type iMessageThreadId } from "../../src/adapter/thread-id.ts";
import { type ChatDb, type LocalMessage, openChatDb } from "./chat-db.ts";
import { toEnvelope } from "./envelope.ts";
import { createOsascriptRunner, type OsascriptRunner } from "./osascript.ts";
import { postableFiles } from "../../src/adapter/postable.ts";
import { AppleScriptSender } from "./sender.ts";
import { fileWatermark, type WatermarkStore } from "./watermark.ts";
import { ChatDbWatcher } from "./watcher.ts";

/** Settings of local mode, beside the options every mode shares. */
export interface LocalModeOptions {
  /** Messages database (default `~/Library/Messages/chat.db`; env `IMESSAGE_DB_PATH`). */
  dbPath?: string;
  /** Home folder for `~` in attachment paths (default the user's). */
  homeDir?: string;
  /** Watermark file (default `~/.chat-adapter-imessage/watermark.json`; env `IMESSAGE_WATERMARK_PATH`). */
  watermarkPath?: string;
  /** A watermark store of your own (replaces `watermarkPath`). */
  watermark?: WatermarkStore;
  /** Runs AppleScript (default: `osascript`); tests pass a recorder. */
  runOsascript?: OsascriptRunner;
  /** Polling interval in ms (default 1000, clamped to 50–60000). */
  pollIntervalMs?: number;
  /** Rows read per query (default 500). */
  batchSize?: number;
  /** Read as soon as `chat.db-wal` changes (default true). */
  watchWal?: boolean;
  /** First run without a watermark: "latest" (default) skips history, "beginning" replays it. */
  startAt?: "latest" | "beginning";
  /** Folder for outgoing files before Messages sends them (default: a temp folder). */
  outboxDir?: string;
  /** Start reading when the Chat instance initializes the adapter (default true). */
  autoStart?: boolean;
}

/** The default place of the watermark file. */
export function defaultWatermarkPath(home: string = homedir()): string {
  return join(home, ".chat-adapter-imessage", "watermark.json");
}

const NO_HISTORY = "local mode reads new messages only; the Messages database history is not exposed";

/**
 * iMessage for the Chat SDK on a Mac, without any server: new messages come from the Messages database,
 * replies go out through AppleScript. Create it with `createiMessageAdapter({ local: true })`.
 */
export class LocalIMessageAdapter extends iMessageThreadMethods implements Adapter<iMessageThreadId, SlimMessage> {
  readonly userName: string;
  readonly logger: Logger;
  readonly config: LocalConfig;
  readonly db: ChatDb;
  readonly watcher: ChatDbWatcher;
  private readonly sender: AppleScriptSender;
  private readonly autoStart: boolean;
  private chat: ChatInstance | undefined;

  constructor(config: LocalConfig, options: LocalModeOptions, env: (name: string) => string | undefined) {
    super();
    this.config = config;
    this.userName = config.userName;
    this.logger = config.logger;
    this.autoStart = options.autoStart ?? true;
    this.db = openChatDb({ path: options.dbPath ?? env("IMESSAGE_DB_PATH"), homeDir: options.homeDir });
    this.sender = new AppleScriptSender({
      db: this.db,
      run: options.runOsascript ?? createOsascriptRunner({ timeoutMs: config.timeoutMs * 2 }),
      outboxDir: options.outboxDir,
    });
    this.watcher = new ChatDbWatcher({
      db: this.db,
      watermark:
        options.watermark ??
        fileWatermark(options.watermarkPath ?? env("IMESSAGE_WATERMARK_PATH") ?? defaultWatermarkPath()),
      onMessage: (message) => this.deliver(message),
      pollIntervalMs: options.pollIntervalMs,
      batchSize: options.batchSize,
      watchWal: options.watchWal,
      startAt: options.startAt,
      logger: config.logger,
    });
  }

  async initialize(chat: ChatInstance): Promise<void> {
    this.chat = chat;
    if (this.autoStart) this.watcher.start();
  }

  /** Starts reading new messages (done by `initialize` unless `autoStart: false`). */
  start(): void {
    this.watcher.start();
  }

  async disconnect(): Promise<void> {
    await this.watcher.stop();
    this.db.close();
  }

  /** Local mode has no webhook: messages come from the Messages database. */
  async handleWebhook(_request: Request, _options?: WebhookOptions): Promise<Response> {
    return new Response(
      JSON.stringify({ error: "local mode reads the Messages database; it does not receive webhooks" }),
      { status: 404, headers: { "content-type": "application/json" } },
    );
  }

  /** Hands one database row to the Chat SDK: a message, or a tapback as a reaction. */
  async deliver(row: LocalMessage): Promise<void> {
    const chat = this.chat;
    if (!chat) throw new ValidationError("the adapter is not initialized: pass it to new Chat({ adapters }) first");
    const envelope = toEnvelope(row, { phone: this.config.phone });
    if (!envelope) return;
    const event = parseInbound(envelope, this.inboundContext());
    const pending: Promise<unknown>[] = [];
    const options: WebhookOptions = { waitUntil: (task) => void pending.push(task) };
    if (event.kind === "message") {
      await chat.processMessage(this, event.threadId, event.message, options).catch((error: unknown) => {
        this.logger.error("Message handler failed", { guid: row.guid, error });
      });
    } else if (event.kind === "reaction") {
      const { kind: _kind, ...reaction } = event;
      await chat.processReaction({ ...reaction, adapter: this }, options);
    } else {
      this.logger.debug?.(`Skipped Messages row ${row.rowid}`, { guid: row.guid });
    }
    await Promise.allSettled(pending);
  }

  private inboundContext(): InboundContext {
    return {
      userName: this.userName,
      fetchAttachment: async (attachmentId) => {
        const path = this.db.attachmentPath(attachmentId);
        if (!path) throw new ValidationError(`attachment ${attachmentId} has no file on this Mac (yet)`);
        const bytes = await readFile(path);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      },
    };
  }

  /** The thread of an existing DM with an address; local mode cannot start new conversations. */
  async openDM(address: string): Promise<string> {
    const { chatGuid } = this.sender.target(`any;-;${address.trim()}`);
    return encodeThreadId({ chatGuid });
  }

  parseMessage(raw: SlimMessage): Message<SlimMessage> {
    const event = parseInbound({ event: "messages", message: raw } as SlimEnvelope, this.inboundContext());
    if (event.kind !== "message") throw new ValidationError(`message ${raw.id} is a ${event.kind}, not a message`);
    return event.message;
  }

  // ── outbound ───────────────────────────────────────────────────────────────

  /** Sends plain text (markdown stripped) and files to a conversation received before. */
  async postMessage(threadId: string, message: AdapterPostableMessage): Promise<RawMessage<SlimMessage>> {
    const { chatGuid } = decodeThreadId(threadId);
    const text = this.converter.renderOutbound(message).trim();
    const files = await postableFiles(message);
    if (!text && files.length === 0) throw new ValidationError("nothing to send: the message has no text and no files");
    const receipt = await this.sender.send(chatGuid, { text, files });
    const id = `local-out:${randomUUID()}`;
    const space = { id: receipt.chatGuid, platform: "imessage" };
    return {
      id,
      threadId,
      raw: {
        id,
        platform: "imessage",
        direction: "outbound",
        timestamp: new Date().toISOString(),
        space,
        content: { type: "text", text },
      },
    };
  }

  async editMessage(): Promise<RawMessage<SlimMessage>> {
    return notImplemented("editMessage", "AppleScript cannot edit sent messages");
  }

  async deleteMessage(): Promise<void> {
    notImplemented("deleteMessage", "AppleScript cannot unsend messages");
  }

  async addReaction(): Promise<void> {
    notImplemented("addReaction", "AppleScript cannot send tapbacks");
  }

  async removeReaction(): Promise<void> {
    notImplemented("removeReaction", "AppleScript cannot send tapbacks");
  }

  async startTyping(): Promise<void> {
    notImplemented("startTyping", "AppleScript cannot show a typing indicator");
  }

  async fetchMessages(): Promise<FetchResult<SlimMessage>> {
    return notImplemented("fetchMessages", NO_HISTORY);
  }

  async fetchThread(): Promise<ThreadInfo> {
    return notImplemented("fetchThread", "local mode has no thread info API");
  }

  async openModal(): Promise<{ viewId: string }> {
    return notImplemented("openModal", "iMessage has no modals in local mode (polls need the iMessage server)");
  }
}
