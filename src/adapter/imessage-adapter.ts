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
import { LockError } from "chat";
import type { SlimMessage } from "@spectrum-ts/core/webhook";
import { createMemoryLedger, deliveryKey, type DeliveryLedgerClient, type HeldClaim } from "../dedupe/ledger.ts";
import { startGatewayListener } from "../gateway/listener.ts";
import { jsonResponse, receiveDelivery, type VerifiedDelivery } from "../webhook/receive.ts";
import { createTransport, type Transport } from "../transport/clients.ts";
import type { ResolvedConfig } from "./config.ts";
import { notImplemented, ValidationError } from "./errors.ts";
import type { iMessageEffectId, iMessageEffectName } from "./effects.ts";
import * as extras from "./extras.ts";
import type { MediaOptions } from "./media-input.ts";
import type { AppUrl, MiniAppCard } from "./mini-app.ts";
import { postToThread, type OutboundContext } from "./outbound.ts";
import { renderStyled, type StyledText } from "./styled-text.ts";
import { withOpenModal } from "./message-modal.ts";
import { iMessageThreadMethods } from "./thread-methods.ts";
import { parseInbound, spaceOf, type InboundEvent } from "./inbound.ts";
import { isPermanentFailure, MAX_DELIVERY_ATTEMPTS, type RedeliveryQueue } from "./redelivery.ts";
import { filesOf } from "./postable.ts";
import { pollFromModal, resolveVote, savePollBinding } from "./polls.ts";
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
  /** Where deliveries whose handlers failed wait for another attempt; without it, only the sender's retry helps. */
  redelivery?: RedeliveryQueue;
}

/** Waits between attempts while a thread is locked by an earlier message (about 25 s in all, under the 30 s lock TTL). */
const LOCK_RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 9000];

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
  private readonly redelivery: RedeliveryQueue | undefined;
  private readonly typing = new Set<string>();
  /** What the outbound operations (`adapter/outbound`, `adapter/extras`) use of this adapter. */
  private readonly outbound: OutboundContext = {
    target: (threadId, operation) => this.target(threadId, operation),
    render: (message, operation) => this.renderForPost(message, operation),
    writeKey: () => undefined,
    afterPost: async (threadId, { client, chatGuid }) => {
      if (!this.typing.delete(threadId)) return;
      await client.chats.setTyping(chatGuid, false).catch((error: unknown) => this.logger.debug("Could not clear the typing indicator", { error }));
    },
  };

  constructor(config: ResolvedConfig, dependencies: AdapterDependencies = {}) {
    super();
    this.config = config;
    this.userName = config.userName;
    this.logger = config.logger;
    this.ledger = dependencies.ledger ?? createMemoryLedger();
    this.spaceDirectory = dependencies.spaces;
    this.redelivery = dependencies.redelivery;
  }

  async initialize(chat: ChatInstance): Promise<void> {
    this.chat = chat;
    if (this.config.userNameFromChat) this.userName = chat.getUserName();
    this.spaceDirectory ??= createStateSpaceDirectory(() => chat.getState());
  }

  // ── inbound ────────────────────────────────────────────────────────────────

  /**
   * Verifies and acknowledges a Spectrum delivery at once; the bot's handlers run in `waitUntil`.
   * A delivery already handled is acknowledged and skipped; one still being handled elsewhere gets 409.
   */
  async handleWebhook(request: Request, options?: WebhookOptions): Promise<Response> {
    const outcome = await receiveDelivery(request, this.config.webhookSecret);
    if (!outcome.ok) {
      if (outcome.response.status >= 400) this.logger.warn(`Rejected webhook delivery (${outcome.response.status})`);
      return outcome.response;
    }
    return await this.acceptDelivery(outcome.delivery, options);
  }

  /** Dedupes a verified delivery and schedules its processing; shared by webhooks and the relay. */
  async acceptDelivery(delivery: VerifiedDelivery, options?: WebhookOptions): Promise<Response> {
    const key = deliveryKey(delivery.webhookId, delivery.messageId);
    const channel = delivery.channel ?? "webhook";
    // Webhooks dedupe on webhook id + message id (Spectrum's key); a message that also reaches us by
    // the relay or a catch-up poll is handled once, whichever channel came first.
    // On the webhook path this costs one KV read: the other channels are the rare ones.
    const handledBy = await this.ledger.handledBy(delivery.messageId, channel === "webhook");
    if (handledBy && (channel !== "webhook" || handledBy !== "webhook")) {
      return jsonResponse(200, { status: "duplicate", key, handledBy });
    }
    const verdict = await this.ledger.claim(key);
    if (verdict.verdict === "duplicate") {
      return jsonResponse(200, { status: "duplicate", key });
    }
    if (verdict.verdict === "in-flight") {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      return jsonResponse(
        409,
        { status: "in-flight", key, error: "this delivery is being processed by another request; retry later" },
        { "retry-after": String(seconds) },
      );
    }
    const heartbeat = this.holdClaim(verdict.claim);
    const task = this.processWhenThreadFree(delivery, options)
      .finally(() => clearInterval(heartbeat))
      .then(
        async () => await this.ledger.complete(verdict.claim, { messageId: delivery.messageId, channel }),
        async (error: unknown) => await this.handleFailure(delivery, verdict.claim, error),
      );
    if (options?.waitUntil) options.waitUntil(task);
    else await task;
    return jsonResponse(200, { status: "accepted", key });
  }

  /** Extends the claim's lease while long handlers (an LLM call, say) run, so no copy takes it over meanwhile. */
  private holdClaim(claim: HeldClaim): ReturnType<typeof setInterval> {
    return setInterval(() => {
      this.ledger.extend(claim).then(
        (held) => {
          if (!held) this.logger.warn("Lost the claim of a delivery still being processed", { key: claim.key });
        },
        (error: unknown) => this.logger.warn("Could not extend a delivery claim", { key: claim.key, error }),
      );
    }, Math.max(this.ledger.leaseMs / 3, 250));
  }

  /** Gives the claim back and, unless another attempt cannot help, schedules one. */
  private async handleFailure(delivery: VerifiedDelivery, claim: HeldClaim, error: unknown): Promise<void> {
    await this.ledger.release(claim, error);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (!this.redelivery || isPermanentFailure(error) || claim.attempt >= MAX_DELIVERY_ATTEMPTS) {
      this.logger.error(
        this.redelivery
          ? `Delivery failed for good after ${claim.attempt} attempt(s); a new delivery of it from the sender would still be processed`
          : "Delivery failed; the sender's next retry of this delivery will process it",
        { key: claim.key, error },
      );
      return;
    }
    this.logger.warn(`Delivery failed (attempt ${claim.attempt}); scheduled another attempt`, { key: claim.key, error: message });
    await this.redelivery.schedule(delivery, claim.attempt, message);
  }

  /**
   * Processes a delivery, waiting out the Chat SDK's thread lock when another message of the same
   * thread is still being handled: the SDK's default strategy drops such a message (LockError) before
   * any handler ran, and after our 200 no sender would retry it.
   */
  private async processWhenThreadFree(delivery: VerifiedDelivery, options?: WebhookOptions): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.processEnvelope(delivery, options);
        return;
      } catch (error) {
        if (!(error instanceof LockError) || attempt >= LOCK_RETRY_DELAYS_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  /** Routes a verified envelope into the Chat SDK, resolving when every handler has finished. */
  async processEnvelope(delivery: Pick<VerifiedDelivery, "envelope">, options?: WebhookOptions): Promise<void> {
    this.requireChat();
    const { envelope } = delivery;
    await this.spaces().record(spaceOf(envelope), envelope);
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
      case "poll-vote": {
        if (!event.selected) return;
        const vote = await resolveVote(chat.getState(), event.chatGuid, event.pollTitle, event.optionTitle);
        if (!vote) {
          this.logger.info(`Vote on a poll this bot did not open ("${event.pollTitle}"), skipped`);
          return;
        }
        await chat.processModalSubmit(
          {
            adapter: this,
            callbackId: vote.binding.callbackId,
            viewId: vote.binding.viewId,
            values: { [vote.binding.selectId]: vote.value },
            privateMetadata: vote.binding.privateMetadata,
            user: event.user,
            raw: event.raw,
          },
          await this.modalContextFor(vote.binding.contextId, event.threadId),
          routed,
        );
        return;
      }
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
    const edited = await client.messages.edit(chatGuid, messageId, text);
    return { id: edited.guid || messageId, threadId, raw: edited };
  }

  async deleteMessage(threadId: string, messageId: string): Promise<void> {
    const { client, chatGuid } = await this.target(threadId, "deleteMessage");
    await client.messages.unsend(chatGuid, messageId);
  }

  async addReaction(threadId: string, messageId: string, emoji: EmojiValue | string): Promise<void> {
    const kind = tapbackFor(emoji);
    const { client, chatGuid } = await this.target(threadId, "addReaction");
    await client.messages.setReaction(chatGuid, messageId, { kind }, true);
  }

  async removeReaction(threadId: string, messageId: string, emoji: EmojiValue | string): Promise<void> {
    const kind = tapbackFor(emoji);
    const { client, chatGuid } = await this.target(threadId, "removeReaction");
    await client.messages.setReaction(chatGuid, messageId, { kind }, false);
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
      channelName: info.displayName || (isDmGuid(chatGuid) ? dmAddress(chatGuid) : undefined),
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
    const poll = pollFromModal(modal);
    const { client, chatGuid } = await this.target(triggerId, "openModal");
    const created = await client.polls.create(
      chatGuid,
      poll.title,
      poll.options.map((o) => o.label),
    );
    const viewId = created.pollMessageGuid;
    await savePollBinding(
      this.requireChat().getState(),
      chatGuid,
      {
        callbackId: modal.callbackId,
        viewId,
        selectId: poll.selectId,
        values: Object.fromEntries(poll.options.map((o) => [o.label, o.value])),
        contextId,
        privateMetadata: modal.privateMetadata,
        title: poll.title,
      },
      this.logger,
    );
    return { viewId };
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

  async postEphemeral(): Promise<never> {
    notImplemented("postEphemeral", "iMessage has no ephemeral (visible-to-one) messages; post to a DM with adapter.openDM instead");
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  /**
   * The Chat SDK consumes a modal context on the first submit, but a poll takes many votes: when the
   * original context is gone (or the poll was opened outside an action), a fresh one naming the poll's
   * thread is stored so every vote's handler gets `relatedThread`.
   */
  private async modalContextFor(contextId: string | undefined, threadId: string): Promise<string> {
    const state = this.requireChat().getState();
    if (contextId && (await state.get(`modal-context:${this.name}:${contextId}`)) !== null) return contextId;
    const fresh = `poll-vote-${crypto.randomUUID()}`;
    const thread = {
      _type: "chat:Thread",
      id: threadId,
      channelId: threadId,
      channelVisibility: "private",
      isDM: this.isDM(threadId),
      adapterName: this.name,
    };
    await state.set(`modal-context:${this.name}:${fresh}`, { thread }, 60_000);
    return fresh;
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
