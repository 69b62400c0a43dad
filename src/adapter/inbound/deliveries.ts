/**
 * @module adapter/inbound/deliveries
 * The inbound half of the iMessage adapter: webhook deliveries in, the ledger (exactly once), and the
 * run of a delivery's handlers — with idempotency keys for every write it makes — through the Chat SDK.
 */
import type { AdvancedIMessage } from "@photon-ai/advanced-imessage/http";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { Adapter, ChatInstance, Logger, Message, ModalElement, WebhookOptions } from "chat";
import type { DeliveryLedgerClient } from "../../ledger/ledger.ts";
import { deliveryKeyOf, OutboundKeys } from "../../ledger/keys.ts";
import { deliveryWriteKey, runForDelivery } from "./delivery-context.ts";
import { jsonResponse, receiveDelivery, type VerifiedDelivery } from "../../webhook/receive.ts";
import { canonicalChatGuid, withCanonicalChat } from "../../core/addresses.ts";
import type { ResolvedConfig } from "../../core/config.ts";
import { routeLifecycle, routeVote, type EventRouteContext } from "./event-routes.ts";
import { parseInbound, spaceOf, type InboundEvent } from "./parse.ts";
import { withOpenModal } from "./message-modal.ts";
import { pollVoteContext } from "../outbound/polls.ts";
import { iMessageEventHub } from "./space-events.ts";
import type { SpaceDirectory } from "../../spaces/directory.ts";
import { NOT_CRASH_SAFE } from "../../core/worker-bindings.ts";

/** A space is recorded again after this long, or when what is known about it changes. */
const SPACE_REFRESH_MS = 6 * 3600 * 1000;

/**
 * What the inbound half needs of the adapter it serves (the iMessage adapter provides it): the adapter
 * itself for the Chat SDK's entry points, its Chat, spaces, outbound targets, modals and attachment bytes.
 */
export interface DeliveryHost {
  readonly adapter: Adapter;
  readonly logger: Logger;
  readonly config: ResolvedConfig;
  userName(): string;
  requireChat(): ChatInstance;
  isInitialized(): boolean;
  spaces(): SpaceDirectory;
  useSpaces(spaces: SpaceDirectory): void;
  target(threadId: string, operation: string): Promise<{ client: AdvancedIMessage; chatGuid: string }>;
  openModal(triggerId: string, modal: ModalElement, contextId?: string): Promise<{ viewId: string }>;
  downloadAttachment(attachmentId: string, threadId: string): Promise<ArrayBuffer>;
  streamAttachment(attachmentId: string, threadId: string): ReadableStream<Uint8Array>;
}

/** The inbound half of an iMessage adapter, by composition: deliveries in, exactly once, into the Chat SDK. */
export class iMessageDeliveries {
  private ledger: DeliveryLedgerClient;
  /** Finds the Worker's durable parts once, before the first delivery (see `core/worker-bindings`). */
  private durableParts: Promise<void> | undefined;
  private readonly findDurableParts: (() => Promise<{ ledger?: DeliveryLedgerClient; spaces?: SpaceDirectory }>) | undefined;
  /** Subscribers of raw conversation events (`adapter.onEvent`). */
  readonly events = new iMessageEventHub();
  private readonly outboundKeys = new Map<string, OutboundKeys>();
  private readonly inOrder = new Map<string, Promise<void>>();
  /** Spaces this isolate recorded lately (chat GUID → when, and what was recorded). */
  private readonly recordedSpaces = new Map<string, { at: number; what: string }>();
  private readonly host: DeliveryHost;

  constructor(
    host: DeliveryHost,
    ledger: DeliveryLedgerClient,
    findDurableParts?: () => Promise<{ ledger?: DeliveryLedgerClient; spaces?: SpaceDirectory }>,
  ) {
    this.host = host;
    this.ledger = ledger;
    this.findDurableParts = findDurableParts;
  }

  private get logger(): Logger {
    return this.host.logger;
  }

  private get config(): ResolvedConfig {
    return this.host.config;
  }

  /**
   * Uses the durable ledger (and gateway spaces) found in the Worker, or warns once that deliveries are
   * not crash-safe. Once per adapter, before anything reads the ledger or the spaces: at `initialize`
   * (a cron isolate that only posts or polls), and on every way in (webhook, relay, catch-up).
   */
  async resolveDurableParts(): Promise<void> {
    this.durableParts ??= (async () => {
      const none: { ledger?: DeliveryLedgerClient; spaces?: SpaceDirectory } = {};
      const found = this.findDurableParts ? await this.findDurableParts().catch(() => none) : none;
      if (found.ledger) this.ledger = found.ledger;
      if (found.spaces) this.host.useSpaces(found.spaces);
      if (this.findDurableParts && !this.ledger.durable) this.logger.warn(NOT_CRASH_SAFE);
    })();
    await this.durableParts;
  }

  /**
   * Verifies a Spectrum delivery and records it in the ledger, then answers 200 — with a durable
   * ledger nothing else happens in the request: the ledger's Durable Object runs the bot's handlers.
   * Every copy of a message is answered 200 (`accepted`, `duplicate`, `in-flight` or `dead-letter`):
   * a 4xx would be final for the sender, and the message is safe in the ledger either way.
   */
  async handleWebhook(request: Request, options?: WebhookOptions): Promise<Response> {
    await this.resolveDurableParts();
    const outcome = await receiveDelivery(request, { secret: this.config.webhookSecret, verifier: this.config.webhookVerifier });
    if (!outcome.ok) {
      if (outcome.response.status === 405) {
        // A GET or HEAD (a browser, a health check): not a delivery, nothing to warn about.
        this.logger.debug(`Answered ${request.method} on the webhook route with 405`);
      } else if (outcome.response.status >= 400) {
        this.logger.warn(`Rejected webhook delivery (${outcome.response.status})`, ...(outcome.cause === undefined ? [] : [{ error: outcome.cause }]));
      }
      if (outcome.ignored !== undefined) this.logIgnoredOnce(outcome.ignored);
      return outcome.response;
    }
    if (!this.ledger.durable && !this.host.isInitialized()) {
      // An in-process ledger runs the handlers here, and there is no Chat to run them yet: a 200 would lose it.
      this.logger.warn("Webhook delivery before the adapter was initialized: answered 503 so Spectrum retries it");
      return jsonResponse(
        503,
        { error: "the adapter is not initialized yet: call it through bot.webhooks.imessage (which initializes it), or await bot.initialize() first" },
        { "retry-after": "5" },
      );
    }
    return await this.acceptDelivery({ ...outcome.delivery, path: new URL(request.url).pathname }, options);
  }

  /** Logs why deliveries were acknowledged without a message, once per reason per isolate. */
  private logIgnoredOnce(reason: string): void {
    if (this.ignoredReasons.has(reason)) return;
    if (this.ignoredReasons.size >= 100) return;
    this.ignoredReasons.add(reason);
    this.logger.info(`Acknowledged a delivery without a message for the bot (logged once): ${reason}`);
  }

  private readonly ignoredReasons = new Set<string>();

  /**
   * Records a verified delivery once per message id (whatever channel or webhook registration brought
   * it) and, with a non-durable ledger, runs it in `options.waitUntil`; shared by webhooks, the relay
   * and the catch-up poll.
   */
  async acceptDelivery(given: VerifiedDelivery, options?: WebhookOptions): Promise<Response> {
    await this.resolveDurableParts();
    const delivery = withCanonicalChat(given); // `iMessage;-;`, `SMS;-;` and `any;-;` spellings: one conversation
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
    const chatGuid = canonicalChatGuid(delivery.envelope.message.space.id);
    const keys = OutboundKeys.forDelivery(run.key);
    this.outboundKeys.set(chatGuid, keys);
    try {
      await runForDelivery(run.key, chatGuid, async () => await this.processEnvelope(delivery));
    } finally {
      if (this.outboundKeys.get(chatGuid) === keys) this.outboundKeys.delete(chatGuid);
    }
  }

  /**
   * The idempotency key (`clientMessageId`) of the next outbound write to a conversation: derived from
   * the delivery whose handler makes it (in any conversation; see `delivery-context`), else from the
   * delivery being run in that conversation, else a fresh random key for this one logical write.
   */
  writeKey(chatGuid: string): string {
    return deliveryWriteKey(chatGuid) ?? this.outboundKeys.get(chatGuid)?.take() ?? crypto.randomUUID();
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
    this.host.requireChat();
    const { envelope } = delivery;
    await this.recordSpace(envelope);
    const event = parseInbound(envelope, {
      userName: this.host.userName(),
      fetchAttachment: (id, threadId) => this.host.downloadAttachment(id, threadId),
      streamAttachment: (id, threadId) => this.host.streamAttachment(id, threadId),
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
    const chat = this.host.requireChat();
    switch (event.kind) {
      case "ignored":
        this.logger.debug(`Skipped delivery: ${event.reason}`);
        return;
      case "message":
        await chat.processMessage(this.host.adapter, event.threadId, withOpenModal(event.message as Message, (id, modal) => this.host.openModal(id, modal)), routed);
        return;
      case "reaction":
        await chat.processReaction(
          {
            adapter: this.host.adapter,
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

  /** Records the envelope's space when it is new, changed or stale for this isolate (or the directory wants every envelope). */
  private async recordSpace(envelope: SlimEnvelope): Promise<void> {
    const sighting = spaceOf(envelope);
    const directory = this.host.spaces();
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
      adapter: this.host.adapter,
      chat: this.host.requireChat(),
      events: this.events,
      logger: this.logger,
      modalContext: (contextId, threadId) => pollVoteContext(this.host.requireChat().getState(), contextId, threadId),
      optionTitle: async (threadId, pollId, optionId) => {
        const { client } = await this.host.target(threadId, "poll vote");
        return (await client.polls.get(pollId)).options.find((o) => o.optionIdentifier === optionId)?.text;
      },
    };
  }
}
