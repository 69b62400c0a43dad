/**
 * @module adapter/imessage-adapter
 * The Chat SDK adapter for iMessage: signed webhooks in, the advanced-imessage HTTP API out.
 */
import type { AdvancedIMessage, Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import { NotFoundError } from "@photon-ai/advanced-imessage/http";
import type {
  Adapter,
  AdapterPostableMessage,
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
import type { SlimEnvelope, SlimMessage } from "@spectrum-ts/core/webhook";
import { createMemoryLedger, type DeliveryLedgerClient } from "../dedupe/ledger.ts";
import { deliveryKeyOf, OutboundKeys } from "../delivery/keys.ts";
import { startGatewayListener } from "../gateway/listener.ts";
import { jsonResponse, receiveDelivery, type VerifiedDelivery } from "../webhook/receive.ts";
import { createTransport, type Transport } from "../transport/clients.ts";
import type { ResolvedConfig } from "./config.ts";
import { notImplemented, ValidationError } from "./errors.ts";
import type { iMessageEffectId, iMessageEffectName } from "./effects.ts";
import { routeLifecycle, routeVote, type EventRouteContext } from "./event-routes.ts";
import * as extras from "./extras.ts";
import type { MediaOptions } from "./media-input.ts";
import type { AppUrl, MiniAppCard } from "./mini-app.ts";
import { postToThread, type OutboundContext } from "./outbound.ts";
import { iMessageEventHub, type iMessageEventHandler } from "./space-events.ts";
import { renderStyled, type StyledText } from "./styled-text.ts";
import { withOpenModal } from "./message-modal.ts";
import { iMessageThreadMethods } from "./thread-methods.ts";
import { parseInbound, spaceOf, type InboundEvent } from "./inbound.ts";
import { filesOf } from "./postable.ts";
import { openPollModal, pollVoteContext } from "./polls.ts";
import { fromServerMessage } from "./server-message.ts";
import { createStateSpaceDirectory, type SpaceDirectory } from "./spaces.ts";
import { tapbackFor } from "./tapbacks.ts";
import {
  assertChatGuid,
  decodeThreadId,
  dmAddress,
  encodeThreadId,
  isDmGuid,
  type iMessageThreadId,
} from "./thread-id.ts";

/** The raw message type: an inbound envelope message, or a message read from the server. */
export type iMessageRawMessage = SlimMessage | ServerMessage;

/** Collaborators the adapter is wired with (the Worker supplies durable ones). */
export interface AdapterDependencies {
  /** Exactly-once ledger of deliveries; memory when omitted (one process only). */
  ledger?: DeliveryLedgerClient;
  /** Directory of spaces seen; the Chat state when omitted. */
  spaces?: SpaceDirectory;
}

/** A space is recorded again after this long, or when what is known about it changes. */
const SPACE_REFRESH_MS = 6 * 3600 * 1000;

const ADDRESS = /^(\+?[0-9][0-9 ().-]{4,}|[^\s@]+@[^\s@]+\.[^\s@]+)$/;

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
  private chat: ChatInstance | undefined;
  private transport: Transport | undefined;
  private readonly ledger: DeliveryLedgerClient;
  private spaceDirectory: SpaceDirectory | undefined;
  private readonly typing = new Set<string>();
  private readonly events = new iMessageEventHub();
  /** What the outbound operations (`adapter/outbound`, `adapter/extras`) use of this adapter. */
  private readonly outbound: OutboundContext = {
    target: (threadId, operation) => this.target(threadId, operation),
    render: (message, operation) => this.renderForPost(message, operation),
    writeKey: (chatGuid) => this.writeKey(chatGuid),
    afterPost: async (threadId, { client, chatGuid }) => {
      if (!this.typing.delete(threadId)) return;
      await client.chats.setTyping(chatGuid, false).catch((error: unknown) => this.logger.debug("Could not clear the typing indicator", { error }));
    },
  };
  private readonly outboundKeys = new Map<string, OutboundKeys>();
  private readonly inOrder = new Map<string, Promise<void>>();
  /** Spaces this isolate recorded lately (chat GUID → when, and what was recorded). */
  private readonly recordedSpaces = new Map<string, { at: number; what: string }>();

  constructor(config: ResolvedConfig, dependencies: AdapterDependencies = {}) {
    super();
    this.config = config;
    this.userName = config.userName;
    this.logger = config.logger;
    this.ledger = dependencies.ledger ?? createMemoryLedger();
    this.spaceDirectory = dependencies.spaces;
  }

  async initialize(chat: ChatInstance): Promise<void> {
    this.chat = chat;
    if (this.config.userNameFromChat) this.userName = chat.getUserName();
    this.spaceDirectory ??= createStateSpaceDirectory(() => chat.getState());
  }

  // ── inbound ────────────────────────────────────────────────────────────────

  /**
   * Verifies a Spectrum delivery and records it in the ledger, then answers 200 — with a durable
   * ledger nothing else happens in the request: the ledger's Durable Object runs the bot's handlers.
   * Every copy of a message is answered 200 (`accepted`, `duplicate`, `in-flight` or `dead-letter`):
   * a 4xx would be final for the sender, and the message is safe in the ledger either way.
   */
  async handleWebhook(request: Request, options?: WebhookOptions): Promise<Response> {
    const outcome = await receiveDelivery(request, this.config.webhookSecret);
    if (!outcome.ok) {
      if (outcome.response.status >= 400) this.logger.warn(`Rejected webhook delivery (${outcome.response.status})`);
      return outcome.response;
    }
    return await this.acceptDelivery(outcome.delivery, options);
  }

  /**
   * Records a verified delivery once per message id (whatever channel or webhook registration brought
   * it) and, with a non-durable ledger, runs it in `options.waitUntil`; shared by webhooks, the relay
   * and the catch-up poll.
   */
  async acceptDelivery(delivery: VerifiedDelivery, options?: WebhookOptions): Promise<Response> {
    const key = await deliveryKeyOf(delivery.messageId);
    const status = await this.ledger.accept(delivery, key);
    if (status === "accepted" && !this.ledger.durable) {
      const task = this.runInOrder(delivery.envelope.message.space.id, () => this.runDelivery(delivery, { key, attempt: 1 })).then(
        async () => await this.ledger.settle(key, "done"),
        async (error: unknown) => {
          await this.ledger.settle(key, "failed");
          this.logger.error("Delivery failed; the sender's next retry of this delivery will process it", { key, error });
        },
      );
      if (options?.waitUntil) options.waitUntil(task);
      else await task;
    }
    return jsonResponse(200, { status, key });
  }

  /**
   * Runs one delivery's handlers to completion (the ledger's Durable Object calls this). Every
   * outbound write made meanwhile in the delivery's conversation carries an idempotency key derived
   * from `run.key` and the write's position, so a later attempt of the same delivery cannot send twice.
   * Throws what the handlers threw.
   */
  async runDelivery(delivery: Pick<VerifiedDelivery, "envelope">, run: { key: string; attempt: number }): Promise<void> {
    const chatGuid = delivery.envelope.message.space.id;
    const keys = OutboundKeys.forDelivery(run.key);
    this.outboundKeys.set(chatGuid, keys);
    try {
      await this.processEnvelope(delivery);
    } finally {
      if (this.outboundKeys.get(chatGuid) === keys) this.outboundKeys.delete(chatGuid);
    }
  }

  /**
   * The idempotency key (`clientMessageId`) of the next outbound write in a conversation: derived from
   * the delivery being run there, else a fresh random key for this one logical write.
   */
  writeKey(chatGuid: string): string {
    return this.outboundKeys.get(chatGuid)?.take() ?? crypto.randomUUID();
  }

  /** Runs `task` after the earlier tasks of the same conversation (in-process ledgers: one delivery per chat at a time). */
  private async runInOrder(chatGuid: string, task: () => Promise<void>): Promise<void> {
    const previous = this.inOrder.get(chatGuid) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.inOrder.set(chatGuid, tail);
    try {
      await current;
    } finally {
      if (this.inOrder.get(chatGuid) === tail) this.inOrder.delete(chatGuid);
    }
  }

  /** Routes a verified envelope into the Chat SDK, resolving when every handler has finished. */
  async processEnvelope(delivery: Pick<VerifiedDelivery, "envelope">, options?: WebhookOptions): Promise<void> {
    this.requireChat();
    const { envelope } = delivery;
    await this.recordSpace(envelope);
    const event = parseInbound(envelope, {
      userName: this.userName,
      fetchAttachment: (id, threadId) => this.downloadAttachment(id, threadId),
    });
    // Handlers' errors must reach us (to release the claim), and our ledger replaces the SDK's 10-minute dedupe.
    // The SDK's own background tasks are awaited here, inside the caller's single waitUntil.
    const background: Promise<unknown>[] = [];
    const routed = {
      ...options,
      waitUntil: (task: Promise<unknown>) => void background.push(task),
      deduplicate: false,
      propagateHandlerErrors: true,
    } as WebhookOptions;
    try {
      await this.routeEvent(event, routed);
    } finally {
      await Promise.allSettled(background);
    }
  }

  private async routeEvent(event: InboundEvent, routed: WebhookOptions): Promise<void> {
    const chat = this.requireChat();
    switch (event.kind) {
      case "ignored":
        this.logger.debug(`Skipped delivery: ${event.reason}`);
        return;
      case "message":
        await chat.processMessage(this, event.threadId, withOpenModal(event.message as Message, (id, modal) => this.openModal(id, modal)), routed);
        return;
      case "reaction":
        await chat.processReaction(
          {
            adapter: this,
            threadId: event.threadId,
            messageId: event.messageId,
            emoji: event.emoji,
            rawEmoji: event.rawEmoji,
            added: event.added,
            user: event.user,
            raw: event.raw,
          },
          routed,
        );
        return;
      case "poll-vote":
        await routeVote(this.eventRoutes(), event, routed);
        return;
      case "edit":
      case "unsend":
      case "space-event":
        await routeLifecycle(this.eventRoutes(), event, routed);
        return;
    }
  }

  parseMessage(raw: iMessageRawMessage): Message<iMessageRawMessage> {
    if ("chatGuids" in raw && Array.isArray(raw.chatGuids)) {
      const server = raw as ServerMessage;
      const threadId = encodeThreadId({ chatGuid: server.chatGuids[0] ?? "" });
      return fromServerMessage(server, threadId, this.userName, (id, t) => this.downloadAttachment(id, t));
    }
    const event = parseInbound(
      { event: "messages", message: raw as SlimMessage },
      { userName: this.userName, fetchAttachment: (id, threadId) => this.downloadAttachment(id, threadId) },
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

  async addReaction(threadId: string, messageId: string, emoji: EmojiValue | string): Promise<void> {
    const kind = tapbackFor(emoji);
    const { client, chatGuid } = await this.target(threadId, "addReaction");
    await client.messages.setReaction(chatGuid, messageId, { kind }, true, { clientMessageId: this.writeKey(chatGuid) });
  }

  async removeReaction(threadId: string, messageId: string, emoji: EmojiValue | string): Promise<void> {
    const kind = tapbackFor(emoji);
    const { client, chatGuid } = await this.target(threadId, "removeReaction");
    await client.messages.setReaction(chatGuid, messageId, { kind }, false, { clientMessageId: this.writeKey(chatGuid) });
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
   */
  async openDM(userId: string): Promise<string> {
    const address = userId.trim().replace(/[\s().-]/g, "");
    if (!ADDRESS.test(userId.trim())) {
      throw new ValidationError(`openDM needs a phone number (E.164, e.g. +15551234567) or an email, got "${userId}"`);
    }
    const client = await this.client(this.config.phone, "openDM");
    const created = await client.chats.create([address]);
    return encodeThreadId({ chatGuid: created.chat.guid, phone: this.config.phone });
  }

  async fetchMessage(threadId: string, messageId: string): Promise<Message<iMessageRawMessage> | null> {
    const { client } = await this.target(threadId, "fetchMessage");
    try {
      const message = await client.messages.get(messageId);
      return fromServerMessage(message, threadId, this.userName, (id, t) => this.downloadAttachment(id, t));
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  /**
   * A page of history, oldest first within the page. Backward (default) starts at the newest
   * messages and `nextCursor` walks to older ones.
   */
  async fetchMessages(threadId: string, options: FetchOptions = {}): Promise<FetchResult<iMessageRawMessage>> {
    if (options.direction === "forward") {
      notImplemented("fetchMessages forward", "the iMessage server pages history from the newest message backward; omit direction");
    }
    const { client, chatGuid } = await this.target(threadId, "fetchMessages");
    const page = await client.messages.listInChat(chatGuid, {
      pageSize: Math.min(Math.max(options.limit ?? 50, 1), 200),
      pageToken: options.cursor,
    });
    const messages = [...page.messages]
      .sort((a, b) => new Date(a.dateCreated).getTime() - new Date(b.dateCreated).getTime())
      .map((m) => fromServerMessage(m, threadId, this.userName, (id, t) => this.downloadAttachment(id, t)));
    return page.nextPageToken ? { messages, nextCursor: page.nextPageToken } : { messages };
  }

  async fetchThread(threadId: string): Promise<ThreadInfo> {
    const { client, chatGuid } = await this.target(threadId, "fetchThread");
    const info = await client.chats.get(chatGuid);
    return {
      id: threadId,
      channelId: threadId,
      channelName: info.displayName || (isDmGuid(chatGuid) ? dmAddress(chatGuid) : (await this.spaces().lookup(chatGuid))?.displayName),
      isDM: !info.isGroup,
      metadata: {
        chatGuid,
        service: info.service,
        participants: info.participants.map((p) => p.address),
        isArchived: info.isArchived,
        unreadCount: info.unreadCount,
      },
    };
  }

  /** Sends a read receipt for the conversation (iMessage marks the whole chat read). */
  async markAsRead(threadId: string): Promise<void> {
    const { client, chatGuid } = await this.target(threadId, "markAsRead");
    await client.chats.markRead(chatGuid);
  }

  /** Buffers the whole stream and posts once: iMessage edits are few and shown as "Edited". */
  async stream(threadId: string, textStream: AsyncIterable<string | StreamChunk>): Promise<RawMessage<iMessageRawMessage> | null> {
    let text = "";
    for await (const chunk of textStream) {
      if (typeof chunk === "string") text += chunk;
      else if (chunk.type === "markdown_text") text += chunk.text;
    }
    if (!text.trim()) return null;
    return await this.send(threadId, { markdown: text }, undefined);
  }

  /** Opens a modal as a native poll: the first Select's options become the choices, the title the question. */
  async openModal(triggerId: string, modal: ModalElement, contextId?: string): Promise<{ viewId: string }> {
    return await openPollModal(this.outbound, this.requireChat().getState(), this.logger, triggerId, modal, contextId);
  }

  /** Sends with an expressive-send effect, e.g. `"confetti"` (the reference adapter's extra; see `adapter/extras`). */
  async sendEffect(
    threadId: string,
    message: AdapterPostableMessage,
    effect: iMessageEffectName | iMessageEffectId | string,
  ): Promise<RawMessage<iMessageRawMessage>> {
    return await extras.sendEffect(this.outbound, threadId, message, effect);
  }

  /** Sends a voice note (M4A/AAC or CAF audio) as a waveform bubble; see `adapter/extras`. */
  async sendVoice(threadId: string, audio: extras.VoiceInput, options?: extras.VoiceOptions): Promise<RawMessage<iMessageRawMessage>> {
    return await extras.sendVoice(this.outbound, threadId, audio, options);
  }

  /** Sets the chat background image, or removes it with `"clear"` / `null`; see `adapter/extras`. */
  async setBackground(threadId: string, image: extras.BackgroundInput, options?: MediaOptions): Promise<void> {
    await extras.setBackground(this.outbound, threadId, image, options);
  }

  /** Sends a mini-app card: your own extension's card, or a bare URL; see `adapter/mini-app`. */
  async sendMiniApp(threadId: string, card: MiniAppCard | AppUrl): Promise<RawMessage<iMessageRawMessage>> {
    return await extras.sendMiniApp(this.outbound, threadId, card);
  }

  /**
   * Subscribes to raw conversation events — `addMember`, `removeMember`, `leaveSpace`, `rename`,
   * `avatar`, `read`, `typing`, `pollUnvote` (see `iMessageEvent`); returns the unsubscribe function.
   */
  onEvent(handler: iMessageEventHandler): () => void {
    return this.events.on(handler);
  }

  async postEphemeral(): Promise<never> {
    notImplemented("postEphemeral", "iMessage has no ephemeral (visible-to-one) messages; post to a DM with adapter.openDM instead");
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  /** Records the envelope's space when it is new, changed or stale for this isolate (or the directory wants every envelope). */
  private async recordSpace(envelope: SlimEnvelope): Promise<void> {
    const sighting = spaceOf(envelope);
    const directory = this.spaces();
    const what = JSON.stringify(sighting);
    const known = this.recordedSpaces.get(sighting.chatGuid);
    const now = Date.now();
    if (!directory.streamsEnvelopes && known && known.what === what && now - known.at < SPACE_REFRESH_MS) return;
    await directory.record(sighting, envelope);
    this.recordedSpaces.set(sighting.chatGuid, { at: now, what });
    if (this.recordedSpaces.size > 10_000) this.recordedSpaces.delete(this.recordedSpaces.keys().next().value as string);
  }

  private eventRoutes(): EventRouteContext {
    return {
      adapter: this,
      chat: this.requireChat(),
      events: this.events,
      logger: this.logger,
      modalContext: (contextId, threadId) => pollVoteContext(this.requireChat().getState(), contextId, threadId),
      optionTitle: async (threadId, pollId, optionId) => {
        const { client } = await this.target(threadId, "poll vote");
        return (await client.polls.get(pollId)).options.find((o) => o.optionIdentifier === optionId)?.text;
      },
    };
  }

  private requireChat(): ChatInstance {
    if (!this.chat) throw new ValidationError("adapter is not initialized: register it in new Chat({ adapters: { imessage } })");
    return this.chat;
  }

  private spaces(): SpaceDirectory {
    if (!this.spaceDirectory) this.requireChat();
    return this.spaceDirectory as SpaceDirectory;
  }

  /**
   * The HTTP transport of a remote mode (one client per line, tokens cached in the Chat state), built
   * once and shared with the gateway; undefined in local mode.
   */
  remoteTransport(): Transport | undefined {
    if (this.config.mode === "local") return undefined;
    this.transport ??= createTransport(this.config, () => this.chat?.getState());
    return this.transport;
  }

  private client(phone: string | undefined, operation: string): Promise<AdvancedIMessage> {
    const transport = this.remoteTransport();
    if (!transport) {
      notImplemented(
        operation,
        "local mode runs only in Node on macOS: use createiMessageAdapter from chat-adapter-imessage-bridge (the local-bridge package), or set IMESSAGE_LOCAL=false with cloud or self-host credentials",
      );
    }
    return transport.clientFor(phone);
  }

  /** The client and chat GUID of a thread; groups must be known to this bot (seen inbound, or found on the server). */
  private async target(threadId: string, operation: string): Promise<{ client: AdvancedIMessage; chatGuid: string }> {
    const { chatGuid, phone } = decodeThreadId(threadId);
    assertChatGuid(chatGuid);
    if (isDmGuid(chatGuid)) return { client: await this.client(phone, operation), chatGuid };
    const known = await this.spaces().lookup(chatGuid);
    const client = await this.client(phone ?? known?.phone, operation);
    if (!known) {
      try {
        const info = await client.chats.get(chatGuid);
        await this.spaces().record({ chatGuid, type: "group", phone, displayName: info.displayName || undefined });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        notImplemented(
          operation,
          `group ${chatGuid} has not been seen yet: iMessage bots cannot create groups. Add the bot's number to the group and send a message there (or let the gateway see it), then retry`,
        );
      }
    }
    return { client, chatGuid };
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

  /** Downloads an inbound attachment's bytes from the iMessage server. */
  async downloadAttachment(attachmentId: string, threadId: string): Promise<ArrayBuffer> {
    const { phone } = decodeThreadId(threadId);
    const client = await this.client(phone, "fetchData");
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const frame of client.attachments.downloadStream(attachmentId)) {
      if (frame.type === "primaryChunk") {
        chunks.push(frame.data);
        total += frame.data.byteLength;
      }
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes.buffer;
  }

  /**
   * Keeps a catch-up poll of the iMessage server running for `durationMs` in `options.waitUntil`
   * (the reference adapter's gateway listener; over HTTP it polls instead of streaming).
   */
  async startGatewayListener(options: WebhookOptions, durationMs?: number, abortSignal?: AbortSignal): Promise<Response> {
    return await startGatewayListener(this, this.chat, options, durationMs, abortSignal);
  }
}
