/**
 * @module adapter/imessage-adapter
 * The Chat SDK adapter for iMessage: signed webhooks in, the advanced-imessage HTTP API out.
 */
import type { AdvancedIMessage, Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import type {
  Adapter,
  AdapterPostableMessage,
  Attachment,
  ChatInstance,
  EmojiValue,
  FetchOptions,
  FetchResult,
  Logger,
  Message,
  ModalElement,
  RawMessage,
  StreamChunk,
  ThreadInfo,
  WebhookOptions,
} from "chat";
import type { SlimMessage } from "@spectrum-ts/core/webhook";
import { createMemoryLedger } from "../ledger/ledger.ts";
import type { AdapterDependencies } from "./dependencies.ts";
import { startGatewayListener } from "../gateway/listener.ts";
import type { Transport } from "../transport/clients.ts";
import { normalizeAddress } from "../core/addresses.ts";
import type { ResolvedConfig } from "../core/config.ts";
import { notImplemented, ValidationError } from "../core/errors.ts";
import type { iMessageEffectId, iMessageEffectName } from "./outbound/effects.ts";
import * as extras from "./outbound/extras.ts";
import type { MediaOptions } from "./outbound/media-input.ts";
import type { AppUrl, MiniAppCard } from "./outbound/mini-app.ts";
import { postToThread, type OutboundContext } from "./outbound/post.ts";
import type { iMessageEventHandler } from "./inbound/space-events.ts";
import { renderStyled, type StyledText } from "./outbound/styled-text.ts";
import { iMessageDeliveries, type DeliveryHost } from "./inbound/deliveries.ts";
import { iMessageThreadMethods } from "./thread-methods.ts";
import { Lines } from "./outbound/lines.ts";
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { parseInbound } from "./inbound/parse.ts";
import * as history from "./inbound/history.ts";
import { streamToMessage } from "./outbound/streaming.ts";
import { attachmentStream, downloadFrames, readAttachment } from "../core/attachment-bytes.ts";
import { filesOf } from "./postable.ts";
import { openPollModal } from "./outbound/polls.ts";
import { fromServerMessage } from "./inbound/server-message.ts";
import { createStateSpaceDirectory, type SpaceDirectory } from "../spaces/directory.ts";
import { reactionFor } from "../core/tapbacks.ts";
import { noteInitialized, WAKE_HEADER } from "./isolate-adapter.ts";
import {
  decodeThreadId,
  encodeThreadId,
  type iMessageThreadId,
} from "../core/thread-id.ts";

/** The raw message type: an inbound envelope message, or a message read from the server. */
export type iMessageRawMessage = SlimMessage | ServerMessage;

function isCard(message: AdapterPostableMessage): boolean {
  return typeof message === "object" && message !== null && ("card" in message || (message as { type?: string }).type === "card");
}

/**
 * iMessage for the Chat SDK. Create it with {@link createiMessageAdapter}.
 */
export class iMessageAdapter extends iMessageThreadMethods implements Adapter<iMessageThreadId, iMessageRawMessage> {
  /**
   * The bot's name, matched by `@name` mentions in groups: `userName` / `IMESSAGE_USER_NAME` when set,
   * else the Chat instance's `userName` (taken in `initialize`).
   */
  userName: string;
  readonly logger: Logger;
  readonly config: ResolvedConfig;
  protected chat: ChatInstance | undefined;
  /** The phone lines: clients per line, and the line and chat GUID of a thread. */
  private readonly lines: Lines = new Lines(
    () => this.config,
    () => this.chat?.getState(),
    () => this.spaces(),
  );
  private spaceDirectory: SpaceDirectory | undefined;
  private readonly typing = new Set<string>();
  /** What the outbound operations (`adapter/outbound/post`, `adapter/outbound/extras`) use of this adapter. */
  private readonly outbound: OutboundContext = {
    target: (threadId, operation) => this.target(threadId, operation),
    render: (message, operation) => this.renderForPost(message, operation),
    writeKey: (chatGuid) => this.writeKey(chatGuid),
    afterPost: async (threadId, { client, chatGuid }) => {
      if (!this.typing.delete(threadId)) return;
      await client.chats.setTyping(chatGuid, false).catch((error: unknown) => this.logger.debug("Could not clear the typing indicator", { error }));
    },
  };

  /** The inbound half: webhook, relay and catch-up deliveries, the ledger, and the Chat SDK's entry points. */
  private readonly inbound: iMessageDeliveries;

  constructor(config: ResolvedConfig, dependencies: AdapterDependencies = {}) {
    super();
    this.config = config;
    this.userName = config.userName;
    this.logger = config.logger;
    this.spaceDirectory = dependencies.spaces;
    const host: DeliveryHost = {
      adapter: this,
      logger: config.logger,
      config,
      userName: () => this.userName,
      requireChat: () => this.requireChat(),
      isInitialized: () => this.chat !== undefined,
      spaces: () => this.spaces(),
      useSpaces: (spaces) => void (this.spaceDirectory = spaces),
      target: (threadId, operation) => this.target(threadId, operation),
      openModal: (triggerId, modal, contextId) => this.openModal(triggerId, modal, contextId),
      downloadAttachment: (attachmentId, threadId) => this.downloadAttachment(attachmentId, threadId),
      streamAttachment: (attachmentId, threadId) => this.streamAttachment(attachmentId, threadId),
    };
    this.inbound = new iMessageDeliveries(host, dependencies.ledger ?? createMemoryLedger(), dependencies.findDurableParts);
  }

  /** Verifies a Spectrum delivery, records it in the ledger and answers (see `adapter/inbound/deliveries`). */
  async handleWebhook(request: Request, options?: WebhookOptions): Promise<Response> {
    // A ledger's wake call: the Chat SDK initialized this adapter on the way here, which is all it asks.
    if (request.headers.has(WAKE_HEADER)) return new Response(null, { status: 204 });
    return await this.inbound.handleWebhook(request, options);
  }

  /** Records a verified delivery once per message id, whatever channel brought it (webhook, relay, catch-up). */
  async acceptDelivery(delivery: VerifiedDelivery, options?: WebhookOptions): Promise<Response> {
    return await this.inbound.acceptDelivery(delivery, options);
  }

  /** Runs one delivery's handlers to completion (the ledger's Durable Object calls this). */
  async runDelivery(delivery: Pick<VerifiedDelivery, "envelope">, run: { key: string; attempt: number }): Promise<void> {
    await this.inbound.runDelivery(delivery, run);
  }

  /** Routes a verified envelope into the Chat SDK, resolving when every handler has finished. */
  async processEnvelope(delivery: Pick<VerifiedDelivery, "envelope">, options?: WebhookOptions): Promise<void> {
    await this.inbound.processEnvelope(delivery, options);
  }

  /** The idempotency key of the next outbound write in a conversation (see `adapter/inbound/deliveries`). */
  writeKey(chatGuid: string): string {
    return this.inbound.writeKey(chatGuid);
  }

  async initialize(chat: ChatInstance): Promise<void> {
    this.chat = chat;
    if (this.config.userNameFromChat) this.userName = chat.getUserName();
    // Without env: the Worker's DELIVERY_LEDGER and GATEWAY, found before anything reads the ledger or the spaces.
    await this.inbound.resolveDurableParts();
    this.spaceDirectory ??= createStateSpaceDirectory(() => chat.getState());
    // Only now may an unbound ledger in this isolate run deliveries with it (spaces and ledger settled).
    noteInitialized(this);
  }

  parseMessage(raw: iMessageRawMessage): Message<iMessageRawMessage> {
    if ("chatGuids" in raw && Array.isArray(raw.chatGuids)) {
      const server = raw as ServerMessage;
      const threadId = encodeThreadId({ chatGuid: server.chatGuids[0] ?? "" });
      return fromServerMessage(server, threadId, this.userName, (id, t) => this.downloadAttachment(id, t));
    }
    const event = parseInbound(
      { event: "messages", message: raw as SlimMessage },
      {
        userName: this.userName,
        fetchAttachment: (id, threadId) => this.downloadAttachment(id, threadId),
        streamAttachment: (id, threadId) => this.streamAttachment(id, threadId),
      },
    );
    if (event.kind !== "message") throw new ValidationError(`cannot parse this event as a message: ${event.kind === "ignored" ? event.reason : event.kind}`);
    return event.message;
  }

  // ── outbound ───────────────────────────────────────────────────────────────

  async postMessage(threadId: string, message: AdapterPostableMessage): Promise<RawMessage<iMessageRawMessage>> {
    return await this.send(threadId, message, undefined);
  }

  /** Posts as an inline reply to `messageId` (iMessage's threaded reply). */
  async reply(threadId: string, messageId: string, message: AdapterPostableMessage): Promise<RawMessage<iMessageRawMessage>> {
    return await this.send(threadId, message, messageId);
  }

  async editMessage(threadId: string, messageId: string, message: AdapterPostableMessage): Promise<RawMessage<iMessageRawMessage>> {
    if (filesOf(message).length > 0) notImplemented("editMessage with files", "iMessage edits change a message's text only");
    const text = this.renderText(message, "editMessage");
    const { client, chatGuid } = await this.target(threadId, "editMessage");
    const edited = await client.messages.edit(chatGuid, messageId, text, { clientMessageId: this.writeKey(chatGuid) });
    return { id: edited.guid || messageId, threadId, raw: edited };
  }

  async deleteMessage(threadId: string, messageId: string): Promise<void> {
    const { client, chatGuid } = await this.target(threadId, "deleteMessage");
    await client.messages.unsend(chatGuid, messageId, { clientMessageId: this.writeKey(chatGuid) });
  }

  /** Adds a tapback: the classic six by name (`heart`, `thumbs_up`…), any other emoji as an emoji tapback (`"👀"`, `emoji.fire`). */
  async addReaction(threadId: string, messageId: string, emoji: EmojiValue | string): Promise<void> {
    const reaction = reactionFor(emoji);
    const { client, chatGuid } = await this.target(threadId, "addReaction");
    await client.messages.setReaction(chatGuid, messageId, reaction, true, { clientMessageId: this.writeKey(chatGuid) });
  }

  /** Removes a tapback this bot set (same emoji forms as {@link addReaction}). */
  async removeReaction(threadId: string, messageId: string, emoji: EmojiValue | string): Promise<void> {
    const reaction = reactionFor(emoji);
    const { client, chatGuid } = await this.target(threadId, "removeReaction");
    await client.messages.setReaction(chatGuid, messageId, reaction, false, { clientMessageId: this.writeKey(chatGuid) });
  }

  /** Shows the typing indicator; it is cleared by the next message this adapter posts, or by `endTyping`. */
  async startTyping(threadId: string): Promise<void> {
    const { client, chatGuid } = await this.target(threadId, "startTyping");
    await client.chats.setTyping(chatGuid, true);
    this.typing.add(threadId);
  }

  /** Clears the typing indicator this adapter started (a no-op when a post already cleared it). */
  async endTyping(threadId: string): Promise<void> {
    if (!this.typing.delete(threadId)) return;
    const { client, chatGuid } = await this.target(threadId, "endTyping");
    await client.chats.setTyping(chatGuid, false);
  }

  /**
   * Opens (creating when new) the DM with a phone number or email and returns its thread id.
   * `chat.openDM` does not know iMessage addresses: call `adapter.openDM(address)` then `bot.thread(id)`.
   * Emails are kept exactly; phone numbers become E.164 (national ones need `defaultCountry`); see `core/addresses`.
   */
  async openDM(userId: string): Promise<string> {
    const address = normalizeAddress(userId, this.config.defaultCountry);
    const client = await this.client(this.config.phone, "openDM");
    const created = await client.chats.create([address]);
    return encodeThreadId({ chatGuid: created.chat.guid, phone: this.config.phone });
  }

  async fetchMessage(threadId: string, messageId: string): Promise<Message<iMessageRawMessage> | null> {
    return await history.fetchMessage(this.historyContext(), threadId, messageId);
  }

  /** A page of history, oldest first within the page, backward (default) or forward (see `adapter/inbound/history`). */
  async fetchMessages(threadId: string, options: FetchOptions = {}): Promise<FetchResult<iMessageRawMessage>> {
    return await history.fetchMessages(this.historyContext(), threadId, options);
  }

  async fetchThread(threadId: string): Promise<ThreadInfo> {
    return await history.fetchThread(this.historyContext(), threadId);
  }

  private historyContext(): history.HistoryContext {
    return {
      target: (threadId, operation) => this.target(threadId, operation),
      toMessage: (message, threadId) => fromServerMessage(message, threadId, this.userName, (id, t) => this.downloadAttachment(id, t)),
      spaceName: async (chatGuid) => (await this.spaces().lookup(chatGuid))?.displayName,
    };
  }

  /** Sends a read receipt for the conversation (iMessage marks the whole chat read). */
  async markAsRead(threadId: string): Promise<void> {
    const { client, chatGuid } = await this.target(threadId, "markAsRead");
    await client.chats.markRead(chatGuid);
  }

  /**
   * Native streaming, send-then-edit (see `adapter/outbound/streaming`): the first text goes out at once and is
   * edited in place at most 5 times as more arrives; styled text is posted once at the end. A stream with
   * no text sends nothing (and the Chat SDK then posts no "..." placeholder).
   */
  async stream(threadId: string, textStream: AsyncIterable<string | StreamChunk>): Promise<RawMessage<iMessageRawMessage> | null> {
    return await streamToMessage<iMessageRawMessage>(textStream, {
      post: async (message) => await this.send(threadId, message, undefined),
      edit: async (messageId, message) => await this.editMessage(threadId, messageId, message),
      nothingSent: () => {
        const { chatGuid } = decodeThreadId(threadId);
        return { id: "", threadId, raw: { id: "", space: { id: chatGuid }, content: { type: "text", text: "" } } };
      },
      buffered: this.config.formatting === "styled",
    });
  }

  /** Opens a modal as a native poll: the first Select's options become the choices, the title the question. */
  async openModal(triggerId: string, modal: ModalElement, contextId?: string): Promise<{ viewId: string }> {
    return await openPollModal(this.outbound, this.requireChat().getState(), this.logger, triggerId, modal, contextId);
  }

  /** Sends with an expressive-send effect, e.g. `"confetti"` (the reference adapter's extra; see `adapter/outbound/extras`). */
  async sendEffect(
    threadId: string,
    message: AdapterPostableMessage,
    effect: iMessageEffectName | iMessageEffectId | string,
  ): Promise<RawMessage<iMessageRawMessage>> {
    return await extras.sendEffect(this.outbound, threadId, message, effect);
  }

  /** Sends a voice note (M4A/AAC or CAF audio) as a waveform bubble; see `adapter/outbound/extras`. */
  async sendVoice(threadId: string, audio: extras.VoiceInput, options?: extras.VoiceOptions): Promise<RawMessage<iMessageRawMessage>> {
    return await extras.sendVoice(this.outbound, threadId, audio, options);
  }

  /** Sets the chat background image, or removes it with `"clear"` / `null`; see `adapter/outbound/extras`. */
  async setBackground(threadId: string, image: extras.BackgroundInput, options?: MediaOptions): Promise<void> {
    await extras.setBackground(this.outbound, threadId, image, options);
  }

  /** Sends a mini-app card: your own extension's card, or a bare URL; see `adapter/outbound/mini-app`. */
  async sendMiniApp(threadId: string, card: MiniAppCard | AppUrl): Promise<RawMessage<iMessageRawMessage>> {
    return await extras.sendMiniApp(this.outbound, threadId, card);
  }

  /**
   * Subscribes to raw conversation events — `addMember`, `removeMember`, `leaveSpace`, `rename`,
   * `avatar`, `read`, `typing`, `pollUnvote` (see `iMessageEvent`); returns the unsubscribe function.
   */
  onEvent(handler: iMessageEventHandler): () => void {
    return this.inbound.events.on(handler);
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  protected requireChat(): ChatInstance {
    if (!this.chat) throw new ValidationError("adapter is not initialized: register it in new Chat({ adapters: { imessage } })");
    return this.chat;
  }

  protected spaces(): SpaceDirectory {
    if (!this.spaceDirectory) this.requireChat();
    return this.spaceDirectory as SpaceDirectory;
  }

  /**
   * The HTTP transport of a remote mode (one client per line, tokens cached in the Chat state), built
   * once and shared with the gateway; undefined in local mode.
   */
  remoteTransport(): Transport | undefined {
    return this.lines.remoteTransport();
  }

  private async client(phone: string | undefined, operation: string): Promise<AdvancedIMessage> {
    return await this.lines.client(phone, operation);
  }

  /** The client and chat GUID of a thread; groups must be known to this bot (see `adapter/outbound/lines`). */
  protected async target(threadId: string, operation: string): Promise<{ client: AdvancedIMessage; chatGuid: string }> {
    return await this.lines.target(threadId, operation);
  }

  private renderText(message: AdapterPostableMessage, operation: string): string {
    if (isCard(message)) {
      notImplemented(`${operation} with a card`, "iMessage has no cards or buttons; post text, or use openModal for a poll");
    }
    return this.converter.renderOutbound(message);
  }

  /** Text (plain, or styled with `formatting: "styled"`) and formatting ranges to post; cards are refused. */
  private renderForPost(message: AdapterPostableMessage, operation: string): StyledText {
    if (this.config.formatting !== "styled" || isCard(message)) return { text: this.renderText(message, operation), formatting: [] };
    return renderStyled(message);
  }

  private async send(threadId: string, message: AdapterPostableMessage, replyTo: string | undefined): Promise<RawMessage<iMessageRawMessage>> {
    return await postToThread(this.outbound, threadId, message, { operation: replyTo ? "reply" : "postMessage", ...(replyTo ? { replyTo } : {}) });
  }

  /**
   * Downloads an inbound attachment's bytes into one buffer sized from its declared total (at most
   * `maxAttachmentBytes`, default 96 MiB; larger files throw a ValidationError saying to stream).
   */
  async downloadAttachment(attachmentId: string, threadId: string): Promise<ArrayBuffer> {
    const client = await this.client(decodeThreadId(threadId).phone, "fetchData");
    return await readAttachment(downloadFrames(client, attachmentId), attachmentId, this.config.maxAttachmentBytes);
  }

  /** An inbound attachment's bytes as a stream, chunk by chunk (for files too large to buffer in a Worker). */
  streamAttachment(attachmentId: string, threadId: string): ReadableStream<Uint8Array> {
    return attachmentStream(async () => downloadFrames(await this.client(decodeThreadId(threadId).phone, "streamAttachment"), attachmentId));
  }

  /** Rebuilds `fetchData` (and `stream`) of an attachment the Chat SDK restored from its queue, from its `fetchMetadata`. */
  rehydrateAttachment(attachment: Attachment): Attachment {
    const { attachmentId, threadId } = attachment.fetchMetadata ?? {};
    if (!attachmentId || !threadId) return attachment;
    return {
      ...attachment,
      fetchData: async () => await this.downloadAttachment(attachmentId, threadId),
      stream: () => this.streamAttachment(attachmentId, threadId),
    } as Attachment;
  }

  /**
   * Keeps a catch-up poll of the iMessage server running for `durationMs` in `options.waitUntil`
   * (the reference adapter's gateway listener; over HTTP it polls instead of streaming).
   */
  async startGatewayListener(options: WebhookOptions, durationMs?: number, abortSignal?: AbortSignal): Promise<Response> {
    return await startGatewayListener(this, this.chat, options, durationMs, abortSignal);
  }
}
