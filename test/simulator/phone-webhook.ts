/**
 * @module What a registered Spectrum webhook receives after the server delivers one of the bot's
 * messages to a phone: an outbound echo (`direction: "outbound"`, the sent content) and, once the
 * person reads it, a `read` receipt targeting the sent message. Both arrive on `messages`, signed like
 * every delivery (DESIGN §3a "Receipts and echoes arrive on `messages`").
 */
import type { SimulatorEvents } from "./events.ts";
import type { DeliveryRecord, SimEventRecord, WireMessage } from "./types.ts";
import { deliverWebhook } from "./webhook.ts";
import type { SigningSchemes, SpectrumEnvelope } from "./webhook.ts";
import type { World } from "./world.ts";

/** `POST /__sim/webhook`: a registration and what it wants besides the messages sent to it. */
export interface WebhookRegistrationInput {
  url: string;
  /** The registration's secret(s), comma-separated like `IMESSAGE_WEBHOOK_SECRET`. */
  secret: string;
  /** POST an outbound echo of every message the bot gets delivered (default true). */
  echoes?: boolean;
  /** POST a `read` receipt for every such message, `readAfterMs` later (default true). */
  receipts?: boolean;
  /** Only chats whose GUID starts with this (default: every chat), so suites sharing a simulator stay apart. */
  chatPrefix?: string;
  /** How long the person takes to read a message (default 200 ms). */
  readAfterMs?: number;
  schemes?: SigningSchemes;
}

/** A stored registration. */
export interface WebhookRegistration extends Required<Omit<WebhookRegistrationInput, "schemes">> {
  id: string;
  schemes?: SigningSchemes;
}

/** What the registry needs from the simulator. */
export interface PhoneWebhookDeps {
  events: SimulatorEvents;
  deliveries: DeliveryRecord[];
  world: () => World;
  fetcher: typeof fetch;
}

/** Checks a registration body; returns an error message to answer 400 with, or the input. */
export function parseRegistration(body: unknown): WebhookRegistrationInput | string {
  const usage = "send { url, secret, echoes?: boolean, receipts?: boolean, chatPrefix?, readAfterMs? }";
  if (typeof body !== "object" || body === null) return usage;
  const input = body as Record<string, unknown>;
  if (typeof input.url !== "string" || !/^https?:\/\//.test(input.url)) return `${usage}: url must be an http(s) URL`;
  if (typeof input.secret !== "string" || input.secret === "") return `${usage}: secret is required`;
  for (const flag of ["echoes", "receipts"]) {
    if (input[flag] !== undefined && typeof input[flag] !== "boolean") return `${usage}: ${flag} must be a boolean`;
  }
  if (input.chatPrefix !== undefined && typeof input.chatPrefix !== "string") return `${usage}: chatPrefix must be a string`;
  const wait = input.readAfterMs;
  if (wait !== undefined && (typeof wait !== "number" || !(wait >= 0 && wait <= 60_000))) return `${usage}: readAfterMs must be 0–60000`;
  return input as unknown as WebhookRegistrationInput;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The content a phone shows for a sent message: text, one attachment, or a group of records. */
function contentOf(message: WireMessage): { type: string; [field: string]: unknown } {
  const attachments = message.content.attachments ?? [];
  const parts: { type: string; [field: string]: unknown }[] = [];
  if (message.content.text) parts.push({ type: "text", text: message.content.text });
  for (const a of attachments) parts.push({ type: "attachment", id: a.guid, name: a.fileName, mimeType: a.mimeType, size: Number(a.totalBytes) });
  if (parts.length === 1 && parts[0]) return parts[0];
  if (parts.length === 0) return { type: "text", text: "" };
  return { type: "group", items: parts.map((content, n) => ({ id: `p:${n}/${message.guid}`, content })) };
}

/**
 * The registered webhooks of the simulated project. After every `message.sent` in a chat a
 * registration covers, it delivers the echo and then the read receipt, recorded in `deliveries` and
 * published as `webhook.delivered` like `POST /__sim/deliver`.
 */
export class PhoneWebhooks {
  private registrations: WebhookRegistration[] = [];
  private counter = 0;
  /** Echoes and receipts not delivered yet (see {@link settled}). */
  private pending = new Set<Promise<void>>();

  // A plain field, not a parameter property: `npm start` runs this file with Node's type stripping.
  private readonly deps: PhoneWebhookDeps;

  constructor(deps: PhoneWebhookDeps) {
    this.deps = deps;
    deps.events.on((event) => this.observe(event));
  }

  /** Adds a registration, replacing one with the same url and chatPrefix. */
  register(input: WebhookRegistrationInput): WebhookRegistration {
    const registration: WebhookRegistration = {
      id: `whr_${++this.counter}`,
      url: input.url,
      secret: input.secret,
      echoes: input.echoes ?? true,
      receipts: input.receipts ?? true,
      chatPrefix: input.chatPrefix ?? "",
      readAfterMs: input.readAfterMs ?? 200,
      ...(input.schemes ? { schemes: input.schemes } : {}),
    };
    this.registrations = this.registrations.filter((r) => r.url !== registration.url || r.chatPrefix !== registration.chatPrefix);
    this.registrations.push(registration);
    return registration;
  }

  list(): WebhookRegistration[] {
    return [...this.registrations];
  }

  /** Removes one registration (by id), or all. */
  remove(id?: string): void {
    this.registrations = id === undefined ? [] : this.registrations.filter((r) => r.id !== id);
  }

  /** Resolves when every echo and receipt started so far has been answered. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private observe(event: SimEventRecord): void {
    if (event.type !== "message.sent") return;
    for (const registration of this.registrations) {
      if (!event.chatGuid.startsWith(registration.chatPrefix) || (!registration.echoes && !registration.receipts)) continue;
      const task = this.follow(registration, event.chatGuid, event.message).finally(() => this.pending.delete(task));
      this.pending.add(task);
    }
  }

  private async follow(registration: WebhookRegistration, chatGuid: string, message: WireMessage): Promise<void> {
    // After the send's own answer and event, like a real webhook that arrives a moment later.
    await sleep(0);
    const space = { id: chatGuid, platform: "imessage", type: chatGuid.startsWith("any;+;") ? ("group" as const) : ("dm" as const), phone: "shared" };
    const line = this.deps.world().selfAddress;
    if (registration.echoes) {
      await this.deliver(registration, {
        event: "messages",
        space,
        message: {
          id: message.guid,
          platform: "imessage",
          direction: "outbound",
          timestamp: message.dateCreated,
          sender: { id: line, platform: "imessage" },
          space,
          content: contentOf(message),
        },
      });
    }
    if (!registration.receipts) return;
    await sleep(registration.readAfterMs);
    const reader = chatGuid.startsWith("any;-;") ? chatGuid.slice("any;-;".length) : this.deps.world().chats.get(chatGuid)?.participants.find((p) => p !== line);
    await this.deliver(registration, {
      event: "messages",
      space,
      message: {
        id: `spc-msg-${crypto.randomUUID()}`,
        platform: "imessage",
        direction: "inbound",
        timestamp: new Date().toISOString(),
        ...(reader ? { sender: { id: reader, platform: "imessage" } } : {}),
        space,
        content: { type: "read", target: { id: message.guid, ...(message.content.text ? { contentPreview: message.content.text } : {}) } },
      },
    });
  }

  private async deliver(registration: WebhookRegistration, envelope: SpectrumEnvelope): Promise<void> {
    const body = JSON.stringify(envelope);
    const result = await deliverWebhook(
      { url: registration.url, secret: registration.secret, envelope: body, ...(registration.schemes ? { schemes: registration.schemes } : {}) },
      this.deps.fetcher,
    );
    const delivery: DeliveryRecord = {
      webhookId: result.webhookId,
      url: registration.url,
      timestamp: result.timestamp,
      status: result.status,
      body: result.body,
      at: Date.now(),
      envelope: body,
      ...(envelope.message ? { messageId: envelope.message.id, chatGuid: envelope.message.space.id } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
    this.deps.deliveries.push(delivery);
    this.deps.events.emit({ type: "webhook.delivered", delivery });
  }
}
