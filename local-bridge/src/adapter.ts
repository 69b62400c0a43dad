/**
 * @module local-bridge/adapter
 * The Chat SDK adapter of local macOS mode: the Messages database in, AppleScript out.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
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
import { normalizeAddress, type LocalConfig, notImplemented, ValidationError, iMessageThreadMethods, parseInbound, type InboundContext, decodeThreadId, encodeThreadId, type iMessageThreadId, postableFiles } from "chat-adapter-imessage/extend";
import { type ChatDb, type LocalMessage, openChatDb } from "./chat-db.ts";
import { EchoGuard } from "./echo.ts";
import { toEnvelope } from "./envelope.ts";
import { type Journal, openJournal } from "./journal.ts";
import { createOsascriptRunner, type OsascriptRunner } from "./osascript.ts";
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
  /**
   * Journal of handed-over messages by GUID (default `journal.db` beside the watermark file; env
   * `IMESSAGE_JOURNAL_PATH`; in memory when a `watermark` store of your own is given without it).
   */
  journalPath?: string;
  /**
   * Backlog fence: messages dated more than this many ms before they are read are not handed to the bot
   * (default 15 minutes with `startAt: "latest"`, no fence with `"beginning"`; `Infinity` turns it off).
   */
  maxMessageAgeMs?: number;
  /** Your own addresses, to recognise the chat with yourself beyond what the database rows name. */
  ownAddresses?: readonly string[];
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
  readonly journal: Journal;
  private readonly sender: AppleScriptSender;
  private readonly autoStart: boolean;
  private chat: ChatInstance | undefined;

  constructor(config: LocalConfig, options: LocalModeOptions, env: (name: string) => string | undefined) {
    super();
    this.config = config;
    this.userName = config.userName;
    this.logger = config.logger;
    this.autoStart = options.autoStart ?? true;
    this.db = openChatDb({
      path: options.dbPath ?? env("IMESSAGE_DB_PATH"),
      homeDir: options.homeDir,
      ownAddresses: options.ownAddresses,
    });
    const echo = new EchoGuard();
    this.sender = new AppleScriptSender({
      db: this.db,
      run: options.runOsascript ?? createOsascriptRunner({ timeoutMs: config.timeoutMs * 2 }),
      outboxDir: options.outboxDir,
      echo,
    });
    const watermarkPath = options.watermarkPath ?? env("IMESSAGE_WATERMARK_PATH") ?? defaultWatermarkPath();
    const journalPath =
      options.journalPath ?? env("IMESSAGE_JOURNAL_PATH") ?? (options.watermark ? ":memory:" : join(dirname(watermarkPath), "journal.db"));
    this.journal = openJournal(journalPath);
    this.watcher = new ChatDbWatcher({
      db: this.db,
      watermark: options.watermark ?? fileWatermark(watermarkPath),
      journal: this.journal,
      echo,
      maxMessageAgeMs: options.maxMessageAgeMs,
      onMessage: (message) => this.deliver(message),
      onUpdate: (message) => this.deliverUpdate(message),
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
    this.journal.close();
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

  /**
   * Hands an edit or unsend of a message delivered before to the Chat SDK: a row whose body is gone
   * (Undo Send: text and attributedBody cleared, parts listed under `rp`) → `processMessageDeleted`; a
   * row with a body → `processMessageUpdated` with the text as it reads now (a partly unsent message
   * keeps its remaining parts). Never an empty message.
   */
  async deliverUpdate(row: LocalMessage): Promise<void> {
    const chat = this.chat;
    if (!chat) throw new ValidationError("the adapter is not initialized: pass it to new Chat({ adapters }) first");
    if (row.tapback || row.associatedMessageType) return;
    const editedAt = row.dateEdited ?? row.dateRetracted ?? row.date;
    const envelope = toEnvelope(row, { phone: this.config.phone });
    const event = envelope ? parseInbound(envelope, this.inboundContext()) : undefined;
    const pending: Promise<unknown>[] = [];
    const options: WebhookOptions = { waitUntil: (task) => void pending.push(task) };
    if (!event) {
      const threadId = encodeThreadId({ chatGuid: row.chatGuid });
      await chat.processMessageDeleted(
        {
          adapter: this,
          threadId,
          channelId: this.channelIdFromThreadId(threadId),
          messageId: row.guid,
          deletedAt: editedAt,
          raw: { guid: row.guid, chatGuid: row.chatGuid, rowid: row.rowid, retractedParts: row.summary?.retractedParts ?? [] },
        },
        options,
      );
    } else if (event.kind === "message") {
      event.message.metadata = { ...event.message.metadata, edited: true, editedAt };
      await chat.processMessageUpdated({ adapter: this, threadId: event.threadId, message: event.message }, options);
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

  /**
   * The thread of the DM with an address: the existing conversation when the database has one, else a
   * new one (`any;-;<address>`) that the first post starts on a service the address supports.
   */
  async openDM(address: string): Promise<string> {
    const { chatGuid } = this.sender.target(`any;-;${normalizeAddress(address, this.config.defaultCountry)}`);
    return encodeThreadId({ chatGuid });
  }

  parseMessage(raw: SlimMessage): Message<SlimMessage> {
    const event = parseInbound({ event: "messages", message: raw } as SlimEnvelope, this.inboundContext());
    if (event.kind !== "message") throw new ValidationError(`message ${raw.id} is a ${event.kind}, not a message`);
    return event.message;
  }

  // ── outbound ───────────────────────────────────────────────────────────────

  /**
   * Sends plain text (markdown stripped; the text otherwise exactly as given) and files: to a
   * conversation by its chat GUID, or to an address as a new DM.
   */
  async postMessage(threadId: string, message: AdapterPostableMessage): Promise<RawMessage<SlimMessage>> {
    const { chatGuid } = decodeThreadId(threadId);
    const text = this.converter.renderOutbound(message);
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

  async sendEffect(): Promise<RawMessage<SlimMessage>> {
    return notImplemented("sendEffect", "AppleScript cannot send message effects; use cloud or self-host mode");
  }

  async sendVoice(): Promise<RawMessage<SlimMessage>> {
    return notImplemented("sendVoice", "AppleScript cannot send voice notes (an audio file can go as an attachment with postMessage)");
  }

  async setBackground(): Promise<void> {
    notImplemented("setBackground", "AppleScript cannot change a chat background; use cloud or self-host mode");
  }

  async sendMiniApp(): Promise<RawMessage<SlimMessage>> {
    return notImplemented("sendMiniApp", "AppleScript cannot send iMessage app cards; use cloud or self-host mode");
  }
}
