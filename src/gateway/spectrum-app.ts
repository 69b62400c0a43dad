/**
 * @module gateway/spectrum-app
 * The spectrum-ts app a gateway Durable Object can hold (opt-in, `gatewaySpectrum()` from
 * `chat-adapter-imessage/spectrum`): built on first use with the HTTP iMessage provider, fed every
 * envelope the gateway sees, kept for the object's lifetime and rebuilt after an eviction. spectrum-ts
 * is imported lazily, so gateway requests that never reach the app do not evaluate it.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { Message, ProjectData, Space, SpectrumInstance } from "spectrum-ts";
import type { httpIMessage } from "./http-imessage-provider.ts";
import type { RecordInbox } from "./spectrum-inbox.ts";
import type {
  AttachmentBytes,
  GatewaySpectrumHolder,
  GatewaySpectrumPlugin,
  SpectrumEventSummary,
  SpectrumSource,
  SpectrumStatus,
} from "./spectrum-source.ts";

/** The app: `httpIMessage(app).space.get(chatGuid)`, `app.send(space, …)`; `config` is the cloud project (cloud mode). */
export type GatewaySpectrumApp = SpectrumInstance<[ReturnType<typeof httpIMessage.config>]> & { readonly config?: ProjectData };

/** User code run on the app: `onApp` once per build, `onMessage` for each message of its stream. */
export interface SpectrumHooks {
  onApp?: (app: GatewaySpectrumApp) => void | Promise<void>;
  /** The gateway consumes `app.messages` itself and hands each message here (do not iterate `app.messages` again). */
  onMessage?: (space: Space, message: Message, app: GatewaySpectrumApp) => void | Promise<void>;
}

/** How many recently fed message ids are remembered to stream each message once. */
const FED_MEMORY = 1000;

/** How many stream events {@link GatewaySpectrum.recent} keeps. */
export const RECENT_EVENTS = 50;

interface Built {
  app: GatewaySpectrumApp;
  inbox: RecordInbox;
  attachmentBytes: AttachmentBytes;
  recordOf: typeof import("./spectrum-inbound.ts").recordOf;
  consumer: Promise<void>;
}

function summaryOf(space: Space, message: Message): SpectrumEventSummary {
  const { content } = message;
  return {
    id: message.id,
    platform: message.platform,
    spaceId: space.id,
    direction: message.direction,
    sender: message.sender?.id,
    contentType: content.type,
    text: content.type === "text" ? content.text : undefined,
    timestamp: message.timestamp.toISOString(),
  };
}

async function build(source: SpectrumSource): Promise<Omit<Built, "consumer">> {
  const [{ Spectrum }, { httpIMessage }, { RecordInbox }, { recordOf }] = await Promise.all([
    import("spectrum-ts"),
    import("./http-imessage-provider.ts"),
    import("./spectrum-inbox.ts"),
    import("./spectrum-inbound.ts"),
  ]);
  const inbox = new RecordInbox();
  const providers: [ReturnType<typeof httpIMessage.config>] = [httpIMessage.config({ transport: source.transport, inbox, phoneOf: source.phoneOf })];
  const options = { logLevel: "warn" as const };
  const { config } = source;
  const app: GatewaySpectrumApp =
    config.mode === "cloud"
      ? await Spectrum({ projectId: config.projectId, projectSecret: config.projectSecret, providers, options })
      : await Spectrum({ providers, options });
  return { app, inbox, attachmentBytes: source.attachmentBytes, recordOf };
}

/**
 * Holds one spectrum-ts app. `feed` builds it on first use; a failed build is retried on the next call.
 *
 * @example
 * ```ts
 * const spectrum = new GatewaySpectrum(async () => ({ config, transport, attachmentBytes }), {
 *   onMessage: async (space, message) => { if (message.content.type === "text") await space.send("seen"); },
 * });
 * await spectrum.feed(delivery.envelope);
 * spectrum.recent(); // [{ id, spaceId, contentType: "text", text, … }]
 * ```
 */
export class GatewaySpectrum implements GatewaySpectrumHolder<GatewaySpectrumApp> {
  private readonly source: () => Promise<SpectrumSource>;
  private readonly hooks: SpectrumHooks;
  private built: Promise<Built> | undefined;
  private readonly events: SpectrumEventSummary[] = [];
  private delivered = 0;
  private readonly fed = new Set<string>();

  constructor(source: () => Promise<SpectrumSource>, hooks: SpectrumHooks = {}) {
    this.source = source;
    this.hooks = hooks;
  }

  /** The app, built on first use. */
  async app(): Promise<GatewaySpectrumApp> {
    return (await this.ready()).app;
  }

  /**
   * Hands an envelope to the app's message stream; resolves once the stream has taken it. A message
   * reaching the gateway twice (the webhook's space record and the relay's ack) is streamed once.
   */
  async feed(envelope: SlimEnvelope): Promise<void> {
    const id = envelope.message.id;
    if (this.fed.has(id)) return;
    this.fed.add(id);
    if (this.fed.size > FED_MEMORY) this.fed.delete(this.fed.values().next().value as string);
    const { inbox, recordOf, attachmentBytes } = await this.ready();
    await inbox.push(recordOf(envelope, attachmentBytes));
  }

  /** The latest messages the app's stream delivered (oldest first) and how many it delivered in all. */
  recent(): SpectrumStatus {
    return { delivered: this.delivered, events: [...this.events] };
  }

  /** Stops the app (its streams end, the provider's client is destroyed); the next use builds a new one. */
  async stop(): Promise<void> {
    const built = this.built;
    this.built = undefined;
    if (!built) return;
    const { app, consumer } = await built.catch(() => ({ app: undefined, consumer: undefined }));
    await app?.stop();
    await consumer;
  }

  private ready(): Promise<Built> {
    this.built ??= this.start().catch((error: unknown) => {
      this.built = undefined;
      throw error;
    });
    return this.built;
  }

  private async start(): Promise<Built> {
    const parts = await build(await this.source());
    const consumer = this.consume(parts.app);
    await this.hooks.onApp?.(parts.app);
    return { ...parts, consumer };
  }

  private async consume(app: GatewaySpectrumApp): Promise<void> {
    try {
      for await (const [space, message] of app.messages) {
        this.delivered++;
        this.events.push(summaryOf(space, message));
        if (this.events.length > RECENT_EVENTS) this.events.shift();
        try {
          await this.hooks.onMessage?.(space, message, app);
        } catch (error) {
          console.error(`onSpectrumMessage failed for message ${message.id}`, error);
        }
      }
    } catch (error) {
      console.error("spectrum-ts message stream of the gateway ended with an error", error);
    }
  }
}

/** Options of {@link gatewaySpectrum}: user code run on the gateway's app. */
export interface GatewaySpectrumOptions<E> {
  /** Called once each time the app is built (first use, and again after an eviction). */
  onSpectrumApp?: (app: GatewaySpectrumApp, env: E) => void | Promise<void>;
  /** Called for each message of the app's stream (the gateway consumes `app.messages` itself). */
  onSpectrumMessage?: SpectrumHooks["onMessage"];
}

/**
 * Plugs a spectrum-ts app into the gateway Durable Object: every envelope the gateway sees (webhook,
 * relay, catch-up) reaches its message stream, and sends go out over the adapter's HTTP transport.
 * Opt-in because it adds spectrum-ts to the Worker's bundle (and needs the `open-graph-scraper` alias).
 *
 * @example
 * ```ts
 * import { gatewaySpectrum } from "chat-adapter-imessage/spectrum";
 * export class GatewayDO extends createGatewayDurableObject(createBot, {
 *   spectrum: gatewaySpectrum({ onSpectrumMessage: async (space, message) => await message.react("👍") }),
 * }) {}
 * ```
 */
export function gatewaySpectrum<E = unknown>(options: GatewaySpectrumOptions<E> = {}): GatewaySpectrumPlugin<E, GatewaySpectrumApp> {
  const { onSpectrumApp, onSpectrumMessage } = options;
  return (source, env) =>
    new GatewaySpectrum(source, {
      onApp: onSpectrumApp && ((app) => onSpectrumApp(app, env)),
      onMessage: onSpectrumMessage,
    });
}
