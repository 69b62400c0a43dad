/**
 * @module gateway/spectrum-app
 * The spectrum-ts app a gateway Durable Object can hold (opt-in, `gatewaySpectrum()` from
 * `chat-adapter-imessage/spectrum`): built on first use with the HTTP iMessage provider, fed every
 * envelope the gateway sees, kept for the object's lifetime and rebuilt after an eviction. One
 * message never stops the stream for the next: records are sanitized (`recordOf`), the consumer
 * loop isolates each message, and should spectrum-ts end the stream anyway the app is rebuilt.
 * spectrum-ts is imported lazily, so gateway requests that never reach the app do not evaluate it.
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
  /** Which build this is: a stream that ends on its own retires its build, not a newer one. */
  generation: number;
  app: GatewaySpectrumApp;
  inbox: RecordInbox;
  attachmentBytes: AttachmentBytes;
  recordOf: typeof import("./spectrum-inbound.ts").recordOf;
  consumer: Promise<void>;
}

/** Longest string a stream summary keeps (summaries are held in memory and returned by `spectrumStatus`). */
export const SUMMARY_MAX_CHARS = 500;

const clip = (value: string | undefined): string | undefined =>
  typeof value === "string" && value.length > SUMMARY_MAX_CHARS ? `${value.slice(0, SUMMARY_MAX_CHARS)}…` : value;

/** What {@link GatewaySpectrum.recent} shows of a streamed message; never throws, whatever the message holds. */
function summaryOf(space: Space, message: Message): SpectrumEventSummary {
  const content = message.content as { type?: unknown; text?: unknown } | undefined;
  const at = message.timestamp instanceof Date ? message.timestamp.getTime() : Number.NaN;
  return {
    id: clip(String(message.id)) as string,
    platform: message.platform,
    spaceId: clip(String(space.id)) as string,
    direction: message.direction,
    sender: clip(message.sender?.id),
    contentType: clip(String(content?.type)) as string,
    text: content?.type === "text" && typeof content.text === "string" ? clip(content.text) : undefined,
    timestamp: Number.isNaN(at) ? undefined : new Date(at).toISOString(),
  };
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);

async function build(source: SpectrumSource): Promise<Omit<Built, "consumer" | "generation">> {
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
  /** Bumped by every build and every stop. */
  private generation = 0;
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
   * Should the stream have ended (spectrum-ts ends it when it cannot build a message), the app is
   * rebuilt and the envelope handed to the new one. Throws when the envelope has no message or space.
   */
  async feed(envelope: SlimEnvelope): Promise<void> {
    const id = envelope.message.id;
    if (this.fed.has(id)) return;
    this.fed.add(id);
    if (this.fed.size > FED_MEMORY) this.fed.delete(this.fed.values().next().value as string);
    const first = await this.ready();
    const record = first.recordOf(envelope, first.attachmentBytes);
    if (await first.inbox.push(record)) return;
    this.retire(first);
    const fresh = await this.ready();
    if (!(await fresh.inbox.push(record))) throw new Error(`the spectrum-ts message stream of a fresh app ended before it took message ${id}`);
  }

  /** The latest messages the app's stream delivered (oldest first) and how many it delivered in all. */
  recent(): SpectrumStatus {
    return { delivered: this.delivered, events: [...this.events] };
  }

  /** Stops the app (its streams end, the provider's client is destroyed); the next use builds a new one. */
  async stop(): Promise<void> {
    const built = this.built;
    this.built = undefined;
    this.generation++;
    if (!built) return;
    const { app, consumer } = await built.catch(() => ({ app: undefined, consumer: undefined }));
    await app?.stop();
    await consumer;
  }

  private ready(): Promise<Built> {
    this.built ??= this.start(++this.generation).catch((error: unknown) => {
      this.built = undefined;
      throw error;
    });
    return this.built;
  }

  private async start(generation: number): Promise<Built> {
    const parts = await build(await this.source());
    const built: Built = { ...parts, generation, consumer: Promise.resolve() };
    built.consumer = this.consume(built);
    await this.hooks.onApp?.(parts.app);
    return built;
  }

  /** Drops a build whose stream ended (unless a newer build or a stop replaced it already) and stops its app. */
  private retire(built: Built): void {
    if (built.generation !== this.generation) return;
    this.built = undefined;
    this.generation++;
    built.app.stop().catch((error: unknown) => console.error("a retired spectrum-ts app could not be stopped", error));
  }

  /** Reads the app's stream: one message that cannot be summarized or handled is logged and skipped, never ends the loop. */
  private async consume(built: Built): Promise<void> {
    let failure: unknown;
    try {
      for await (const [space, message] of built.app.messages) {
        this.delivered++;
        try {
          this.events.push(summaryOf(space, message));
          if (this.events.length > RECENT_EVENTS) this.events.shift();
        } catch (error) {
          console.error(`spectrum-ts message ${String(message?.id).slice(0, 200)} could not be summarized (${describe(error)})`);
        }
        try {
          await this.hooks.onMessage?.(space, message, built.app);
        } catch (error) {
          console.error(`onSpectrumMessage failed for message ${String(message.id).slice(0, 200)}`, error);
        }
      }
    } catch (error) {
      failure = error;
    }
    if (built.generation !== this.generation) return; // stopped or replaced: the end was asked for
    console.error(
      `the gateway's spectrum-ts message stream ended (${failure === undefined ? "no error" : describe(failure)}); the next message builds a fresh app`,
    );
    this.retire(built);
  }
}

/** Options of {@link gatewaySpectrum}: user code run on the gateway's app. */
export interface GatewaySpectrumOptions<E> {
  /** Called once each time the app is built (first use, and again after an eviction or after its stream ended). */
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
