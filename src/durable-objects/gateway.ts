/**
 * @module durable-objects/gateway
 * The gateway Durable Object: remembers every space the bot has seen (SQLite, bounded, least recently
 * seen evicted), keeps cloud tokens fresh and catches up on missed messages on an alarm, and holds
 * relay WebSockets with the hibernation API. Opt-in, it also holds a spectrum-ts app whose message
 * stream sees every envelope the gateway sees (`spectrum: gatewaySpectrum()` from `chat-adapter-imessage/spectrum`).
 *
 * Relayed and caught-up events are routed into a bot, so a Worker binds the class to its own bot
 * factory; the unbound `GatewayDO` remembers spaces and refreshes tokens, and refuses relay events:
 *
 * ```ts
 * export class GatewayDO extends createGatewayDurableObject(createBot) {}
 * ```
 */
import { GATEWAY_NAME } from "../spaces/gateway-directory.ts";
import { DurableObject } from "cloudflare:workers";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { spaceOf, type SpaceSighting } from "../webhook/space-of.ts";
import type { SpaceRecord } from "../spaces/directory.ts";
import type { CatchUpCursor } from "../gateway/catch-up.ts";
import { createiMessageAdapter } from "../adapter/create.ts";
import { ValidationError } from "../core/errors.ts";
import { readyAdapter, type GatewayBot } from "../adapter/bot.ts";
import { handleRelayFrame, keepalive, spectrumSource, type CursorStore, type KeepaliveReport } from "../gateway/gateway-core.ts";
import { parseRelayFrame, type RelayFile, type RelayServerMessage } from "../gateway/relay-protocol.ts";
import { DEFAULT_SPACE_LIMIT, SpaceCache } from "../spaces/space-cache.ts";
import { DeadLetterIndex, type IndexedDeadLetter } from "../ledger/dead-letter-index.ts";
import type { DeadLetter } from "../ledger/store.ts";
import type { LedgerReplayRpc } from "../ledger/durable-ledger.ts";
import { rpcNamespace, type DurableObjectBinding } from "../core/durable-object-binding.ts";
import type { iMessageBindings } from "./bindings.ts";
import type { GatewaySpectrumHolder, GatewaySpectrumPlugin, SpectrumStatus } from "../gateway/spectrum-source.ts";

/** How often the alarm refreshes tokens and (when enabled) catches up. */
export const GATEWAY_ALARM_MS = 60_000;
/** How long a relay `send` waits for its `send-result`. */
export const RELAY_SEND_TIMEOUT_MS = 30_000;

/** Environment the gateway reads (besides what the bot factory needs). */
export interface GatewayEnv {
  /**
   * The reconciliation poll of `/v1/messages:listRecent` after a persisted cursor, on by default
   * whenever outbound credentials exist (Spectrum keeps no dead letters); "false" turns it off.
   */
  IMESSAGE_GATEWAY_CATCH_UP?: string;
  /** Number of spaces remembered (default 10,000). */
  IMESSAGE_GATEWAY_SPACE_LIMIT?: string;
  /** The delivery ledgers, for replaying dead letters. */
  DELIVERY_LEDGER?: DurableObjectBinding<LedgerReplayRpc>;
}

/** What a keepalive reports back to the cron route. */
export interface GatewayStatus extends KeepaliveReport {
  spaces: number;
  relays: number;
  nextAlarm: number | null;
}

/** What a gateway class is built with besides its bot. */
export interface GatewayOptions<E, App = never> {
  /**
   * A spectrum-ts app fed every envelope the gateway sees: `gatewaySpectrum({ onSpectrumMessage })` from
   * `chat-adapter-imessage/spectrum`. Without it the Worker bundles no spectrum-ts.
   */
  spectrum?: GatewaySpectrumPlugin<E, App>;
}

export type { SpectrumStatus };

const NO_SPECTRUM =
  "this gateway has no spectrum-ts app: createGatewayDurableObject(createBot, { spectrum: gatewaySpectrum() }) with gatewaySpectrum from chat-adapter-imessage/spectrum";

const UNBOUND =
  "this gateway is not bound to a bot: export class GatewayDO extends createGatewayDurableObject(createBot) {} from your Worker";

interface PendingSend {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

function describeError(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 500);
}

function cursorStore(sql: SqlStorage): CursorStore {
  sql.exec("CREATE TABLE IF NOT EXISTS cursors (line TEXT PRIMARY KEY, cursor TEXT NOT NULL)");
  return {
    async get(line) {
      const row = sql.exec<{ cursor: string }>("SELECT cursor FROM cursors WHERE line = ?", line).toArray()[0];
      return row ? (JSON.parse(row.cursor) as CatchUpCursor) : undefined;
    },
    async put(line, cursor) {
      sql.exec("INSERT OR REPLACE INTO cursors (line, cursor) VALUES (?, ?)", line, JSON.stringify(cursor));
    },
  };
}

/**
 * The gateway Durable Object: spaces, token keepalive, catch-up, the local bridge's relay and the
 * dead-letter index. Extend it and override `bot()` (and `spectrumPlugin()`), or build it with
 * {@link createGatewayDurableObject}.
 *
 * @example
 * ```ts
 * export class GatewayDO extends GatewayBase<Env> {
 *   protected override bot() { return createBot(this.env); }
 * }
 * export default { fetch: app.fetch, scheduled: gatewayScheduled } satisfies ExportedHandler<Env>;
 * ```
 */
export class GatewayBase<E extends object = iMessageBindings, App = never> extends DurableObject<E> {
  /**
   * The bot relayed and caught-up events are routed into (the same one the Worker's webhook route uses).
   * Override it in a subclass, or build the class with {@link createGatewayDurableObject}; undefined: the
   * gateway keeps spaces and tokens but cannot route the relay or a catch-up.
   */
  protected bot(): GatewayBot | undefined {
    return undefined;
  }

  /** The spectrum-ts app plugin (`gatewaySpectrum()` from `chat-adapter-imessage/spectrum`), if any. */
  protected spectrumPlugin(): GatewaySpectrumPlugin<E, App> | undefined {
    return undefined;
  }


  readonly spaces: SpaceCache;
  private readonly cursors: CursorStore;
  private readonly deadLetterIndex: DeadLetterIndex;
  /** Consecutive failed reconciliation runs, and when the next may run (backoff while the server fails). */
  private catchUpFailures = 0;
  private catchUpNotBefore = 0;
  private notConfiguredLogged = false;
  private readonly pending = new Map<string, PendingSend>();
  private readonly spectrum: GatewaySpectrumHolder<App> | undefined;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    const limit = Number((env as GatewayEnv).IMESSAGE_GATEWAY_SPACE_LIMIT ?? DEFAULT_SPACE_LIMIT) || DEFAULT_SPACE_LIMIT;
    this.spaces = new SpaceCache(ctx.storage.sql, limit);
    this.cursors = cursorStore(ctx.storage.sql);
    this.deadLetterIndex = new DeadLetterIndex(ctx.storage.sql);
    this.spectrum = this.spectrumPlugin()?.(() => this.spectrumSource(), env);
  }

  /**
   * Remembers a space seen on a webhook, the relay or a catch-up; with the delivery's envelope,
   * also hands the message to the spectrum-ts app (when there is one).
   */
  async recordSpace(sighting: SpaceSighting, envelope?: SlimEnvelope): Promise<void> {
    this.rememberSpace(sighting);
    if (envelope) await this.feedSpectrum(envelope);
  }

  /** The space cache is a directory, not the delivery: a sighting it cannot keep is logged, never fails the message. */
  private rememberSpace(sighting: SpaceSighting | (() => SpaceSighting)): void {
    try {
      this.spaces.record(typeof sighting === "function" ? sighting() : sighting);
    } catch (error) {
      console.error(`the gateway could not remember a space; the message goes on without it (${describeError(error)})`);
    }
  }

  /**
   * The spectrum-ts app, built on first use (inside the object: `runInDurableObject`, `onSpectrumApp`).
   * Throws when the class was built without `spectrum`.
   */
  async spectrumApp(): Promise<App> {
    return await this.requireSpectrum().app();
  }

  /** What the spectrum-ts app's stream has delivered (builds the app when it is not running yet); throws without `spectrum`. */
  async spectrumStatus(): Promise<SpectrumStatus> {
    const spectrum = this.requireSpectrum();
    await spectrum.app();
    return spectrum.recent();
  }

  /** Stops the spectrum-ts app (if any); the next envelope or call builds a fresh one. */
  async stopSpectrum(): Promise<void> {
    await this.spectrum?.stop();
  }

  private requireSpectrum(): GatewaySpectrumHolder<App> {
    if (!this.spectrum) throw new Error(NO_SPECTRUM);
    return this.spectrum;
  }

  private async spectrumSource() {
    const phoneOf = (chatGuid: string) => this.spaces.lookup(chatGuid)?.phone;
    const bot = this.bot();
    if (bot) return spectrumSource(await readyAdapter(bot), phoneOf);
    return spectrumSource(createiMessageAdapter({ env: this.env as Record<string, unknown> }), phoneOf);
  }

  /** Spectrum is an observer: its failures are logged, never fail a delivery, a relay ack or a keepalive. */
  private async feedSpectrum(envelope: SlimEnvelope): Promise<void> {
    if (!this.spectrum) return;
    try {
      await this.spectrum.feed(envelope);
    } catch (error) {
      console.error(`the gateway's spectrum-ts app could not take message ${String(envelope?.message?.id).slice(0, 200)}; skipped (${describeError(error)})`);
    }
  }

  async lookupSpace(chatGuid: string): Promise<SpaceRecord | null> {
    return this.spaces.lookup(chatGuid);
  }

  /** Refreshes tokens, catches up when enabled, and makes sure the alarm keeps doing so. */
  async keepalive(): Promise<GatewayStatus> {
    const report = await this.runKeepalive();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + GATEWAY_ALARM_MS);
    return {
      ...report,
      spaces: this.spaces.size(),
      relays: this.ctx.getWebSockets().length,
      nextAlarm: await this.ctx.storage.getAlarm(),
    };
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + GATEWAY_ALARM_MS);
    await this.runKeepalive();
  }

  /** Indexes a dead letter held by the ledger named `ledger` (called by that ledger). */
  async recordDeadLetter(ledger: string, letter: DeadLetter): Promise<void> {
    this.deadLetterIndex.put(ledger, letter);
  }

  /** Every dead letter, oldest failure first. */
  async deadLetters(): Promise<IndexedDeadLetter[]> {
    return this.deadLetterIndex.list();
  }

  /**
   * Runs a dead letter again through the ledger holding it (fresh attempt budget).
   * @returns false when no dead letter has that key
   */
  async replayDeadLetter(key: string): Promise<boolean> {
    const letter = this.deadLetterIndex.get(key);
    const ledgers = (this.env as GatewayEnv).DELIVERY_LEDGER;
    if (!letter || !ledgers) return false;
    const replayed = await rpcNamespace(ledgers).getByName(letter.ledger).replay(key);
    this.deadLetterIndex.delete(key);
    return replayed;
  }

  private async runKeepalive(): Promise<KeepaliveReport> {
    const setting = (this.env as GatewayEnv).IMESSAGE_GATEWAY_CATCH_UP;
    const due = Date.now() >= this.catchUpNotBefore;
    let bot: GatewayBot | undefined;
    let adapter: Awaited<ReturnType<typeof readyAdapter>>;
    try {
      bot = this.bot();
      adapter = bot ? await readyAdapter(bot) : createiMessageAdapter({ env: this.env as Record<string, unknown> });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Missing or invalid settings: said once per instance, without a stack; the next alarm tries again.
      if (!this.notConfiguredLogged) console.error(`The gateway waits for the Worker's settings: ${error.message}`);
      this.notConfiguredLogged = true;
      return { lines: [], caughtUp: 0, catchUp: false, notConfigured: error.message };
    }
    const catchUp = setting !== "false" && Boolean(bot) && due;
    if (setting === "true" && !bot) {
      adapter.logger.warn("IMESSAGE_GATEWAY_CATCH_UP needs a bot: export class GatewayDO extends createGatewayDurableObject(createBot) {}");
    }
    try {
      const report = await keepalive(adapter, this.cursors, { catchUp, onEnvelope: (envelope) => this.feedSpectrum(envelope) });
      if (catchUp) this.catchUpFailures = 0;
      return report;
    } catch (error) {
      if (!catchUp) throw error;
      this.catchUpFailures++;
      const backoff = Math.min(GATEWAY_ALARM_MS * 2 ** (this.catchUpFailures - 1), 30 * 60_000);
      this.catchUpNotBefore = Date.now() + backoff;
      adapter.logger.warn(
        `Reconciliation with the iMessage server failed (${this.catchUpFailures} in a row); next try in ${Math.round(backoff / 1000)} s, from the same cursor`,
        { error: error instanceof Error ? error.message : String(error) },
      );
      return { lines: [], caughtUp: 0, catchUp: true };
    }
  }

  /** Accepts a relay WebSocket (the Worker has already checked `RELAY_SECRET`). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ error: "the relay endpoint speaks WebSocket: send Upgrade: websocket" }, { status: 426 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const frame = parseRelayFrame(message);
    if (frame.kind === "send-result") {
      const waiting = this.pending.get(frame.requestId);
      if (!waiting) return;
      this.pending.delete(frame.requestId);
      clearTimeout(waiting.timer);
      if (frame.ok) waiting.resolve();
      else waiting.reject(new Error(`relay could not send: ${frame.error ?? "unknown error"}`));
      return;
    }
    if (frame.kind === "event") this.rememberSpace(() => spaceOf(frame.delivery.envelope));
    const bot = this.bot();
    const reply = bot
      ? await handleRelayFrame(() => readyAdapter(bot), frame)
      : ({ type: "nack", id: "id" in frame ? frame.id : "", error: UNBOUND } satisfies RelayServerMessage);
    if (reply) ws.send(JSON.stringify(reply));
    if (frame.kind === "event" && reply?.type === "ack" && !reply.duplicate) await this.feedSpectrum(frame.delivery.envelope);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    ws.close(1011, "relay socket error");
  }

  /**
   * Asks a connected relay to send (local mode: the Mac sends with Messages). Resolves on its
   * `send-result`; rejects when no relay is connected, it reports a failure, or it does not answer in time.
   */
  async sendViaRelay(chatGuid: string, text: string, files: RelayFile[] = []): Promise<void> {
    const socket = this.ctx.getWebSockets()[0];
    if (!socket) throw new Error("no relay is connected: start the local bridge with --relay pointing at /api/imessage/relay");
    const requestId = crypto.randomUUID();
    const request: RelayServerMessage = { type: "send", requestId, chatGuid, text, ...(files.length ? { files } : {}) };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`relay did not answer send ${requestId} within ${RELAY_SEND_TIMEOUT_MS} ms`));
      }, RELAY_SEND_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, reject, timer });
      socket.send(JSON.stringify(request));
    });
  }
}

/**
 * The gateway Durable Object class for a bot. `bot(env)` must return the same bot the Worker's
 * webhook route uses (built once per env), so relayed and caught-up events reach the same handlers.
 *
 * @example
 * ```ts
 * export class GatewayDO extends createGatewayDurableObject((env: Env) => createBot(env)) {}
 * ```
 */
export function createGatewayDurableObject<E extends object = iMessageBindings, App = never>(
  bot?: (env: E) => GatewayBot,
  options: GatewayOptions<E, App> = {},
): new (ctx: DurableObjectState, env: E) => GatewayBase<E, App> {
  return class GatewayForBot extends GatewayBase<E, App> {
    protected override bot(): GatewayBot | undefined {
      return bot?.(this.env);
    }

    protected override spectrumPlugin(): GatewaySpectrumPlugin<E, App> | undefined {
      return options.spectrum;
    }
  };
}

/** The instance type of a gateway class (what `env.GATEWAY` stubs expose). */
export type GatewayDurableObject = GatewayBase<object, unknown>;

/** The gateway's stub (one instance per Worker, by {@link GATEWAY_NAME}). */
export function gatewayStub(namespace: DurableObjectBinding<GatewayDurableObject>): DurableObjectStub<GatewayDurableObject> {
  return rpcNamespace(namespace).getByName(GATEWAY_NAME);
}

/** The gateway without a bot: a space directory and token keepalive; bind it with {@link createGatewayDurableObject} for the relay and catch-up. */
export class GatewayDO extends GatewayBase {}
