/**
 * @module local-bridge/relay
 * The relay client: forwards inbound Messages rows to the Worker's relay WebSocket and performs the
 * sends the Worker asks for.
 *
 * Protocol (JSON text frames, validated with the Worker's schemas from `chat-adapter-imessage/relay-protocol`):
 * - client → server `{"type":"event","id":"<stable event id>","envelope":<slim Spectrum envelope>}`
 * - server → client `{"type":"ack","id":"…"}`, or `{"type":"nack","id":"…","error":"…"}` when the Worker
 *   could not take the event (it is retried, and dropped after {@link MAX_NACKS} refusals)
 * - server → client `{"type":"send","requestId":"…","chatGuid":"…","text":"…","files":[{"filename","mimeType","dataBase64"}]}`
 * - client → server `{"type":"send-result","requestId":"…","ok":true}` or `{…,"ok":false,"error":"…"}`
 */
import type { Logger } from "chat";
import type { LocalMessage } from "./chat-db.ts";
import { eventIdOf, toEnvelope } from "./envelope.ts";
import type { OutgoingFile } from "chat-adapter-imessage/extend";
import { RelayServerMessageSchema, relayIssues, type RelayClientMessage, type RelayServerMessage } from "chat-adapter-imessage/relay-protocol";

/** The part of a WebSocket the relay uses (the global WebSocket and `ws` both fit). */
export interface RelaySocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Opens a socket to the relay endpoint with the given headers. */
export type RelaySocketFactory = (url: string, headers: Record<string, string>) => RelaySocket | Promise<RelaySocket>;

/** Performs a send the Worker asked for (the AppleScript sender in production). */
export interface RelaySendHandler {
  send(chatGuid: string, content: { text?: string; files?: readonly OutgoingFile[] }): Promise<unknown>;
}

export interface RelayClientOptions {
  /** `wss://<worker>/api/imessage/relay`. */
  url: string;
  /** The Worker's `RELAY_SECRET`, sent as `Authorization: Bearer <secret>`. */
  secret: string;
  sender: RelaySendHandler;
  /** Socket factory (default: the global WebSocket on Node ≥ 22, else the `ws` package). */
  socketFactory?: RelaySocketFactory;
  /** First reconnect delay in ms (default 500); doubles per failed attempt, with jitter. */
  initialBackoffMs?: number;
  /** Longest reconnect delay in ms (default 30000). */
  maxBackoffMs?: number;
  /** An event not acknowledged within this many ms is sent again (default 10000). */
  ackTimeoutMs?: number;
  /** Give up on a handshake after this many ms and try again (default 15000). */
  connectTimeoutMs?: number;
  /** At most this many unacknowledged events; reading pauses beyond it (default 1000). */
  maxInFlight?: number;
  /** Called with the highest ROWID up to which every event was acknowledged (or had nothing to send). */
  onCommit?: (rowid: number) => void;
  /** Random source for the jitter (tests pin it). */
  random?: () => number;
  logger?: Logger;
}

interface PendingEvent {
  rowid: number;
  frame: string;
  sentAt: number;
  nacks: number;
}

/** An event the Worker refused this many times is dropped (logged) so it cannot hold the watermark forever. */
export const MAX_NACKS = 5;

const OPEN = 1;

/** Default factory: Node 22's global WebSocket (it accepts `{ headers }`), else the `ws` dependency (Node 20). */
export async function defaultSocketFactory(url: string, headers: Record<string, string>): Promise<RelaySocket> {
  const Global = (globalThis as { WebSocket?: new (url: string, init: unknown) => RelaySocket }).WebSocket;
  if (Global) return new Global(url, { headers });
  const ws = (await import("ws" as string).catch(() => undefined)) as
    | { default: new (url: string, init: unknown) => RelaySocket }
    | undefined;
  if (!ws) throw new Error("the relay needs the ws package on Node 20 (a dependency of chat-adapter-imessage-bridge: reinstall it)");
  return new ws.default(url, { headers });
}

function describeError(error: unknown): string {
  const event = error as { message?: unknown; error?: { message?: unknown }; type?: unknown };
  return String(event?.error?.message ?? event?.message ?? event?.type ?? error);
}

/**
 * Keeps one connection to the Worker's relay, resending what it has not acknowledged.
 *
 * @example
 * ```ts
 * const relay = new RelayClient({ url, secret, sender, onCommit: (rowid) => watermark.save(rowid) });
 * relay.start();
 * const watcher = new ChatDbWatcher({ db, watermark, autoCommit: false, onMessage: (m) => relay.enqueue(m) });
 * ```
 */
export class RelayClient {
  private readonly options: RelayClientOptions;
  private readonly pending = new Map<string, PendingEvent>();
  private socket: RelaySocket | undefined;
  private attempt = 0;
  private stopped = true;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private resendTimer: ReturnType<typeof setInterval> | undefined;
  private readRowid = 0;
  private committed = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(options: RelayClientOptions) {
    this.options = options;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Events sent (or waiting to be) and not yet acknowledged. */
  get pendingCount(): number {
    return this.pending.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const ackTimeout = this.options.ackTimeoutMs ?? 10_000;
    this.resendTimer = setInterval(() => this.resendStale(), Math.max(50, ackTimeout / 2));
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.resendTimer);
    this.socket?.close(1000, "bridge stopping");
    this.socket = undefined;
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * Queues a row for the Worker; resolves at once unless too many events await an ack.
   * Rows with nothing to route only move the commit point.
   */
  async enqueue(message: LocalMessage): Promise<void> {
    this.readRowid = Math.max(this.readRowid, message.rowid);
    const envelope = toEnvelope(message, { spectrumGuids: true });
    if (envelope) {
      const id = eventIdOf(message);
      const frame = JSON.stringify({ type: "event", id, envelope } satisfies RelayClientMessage);
      this.pending.set(id, { rowid: message.rowid, frame, sentAt: 0, nacks: 0 });
      this.transmit(id);
    }
    this.commit();
    while (this.pending.size >= (this.options.maxInFlight ?? 1000) && !this.stopped) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  /** Moves the commit point up to the row before the oldest unacknowledged event. */
  private commit(): void {
    const oldest = this.pending.values().next().value as PendingEvent | undefined;
    const upTo = oldest ? oldest.rowid - 1 : this.readRowid;
    if (upTo > this.committed) {
      this.committed = upTo;
      this.options.onCommit?.(upTo);
    }
  }

  private transmit(id: string): void {
    const event = this.pending.get(id);
    if (!event || !this.connected) return;
    (this.socket as RelaySocket).send(event.frame);
    event.sentAt = Date.now();
  }

  private resendStale(): void {
    if (!this.connected) return;
    const cutoff = Date.now() - (this.options.ackTimeoutMs ?? 10_000);
    for (const [id, event] of this.pending) {
      if (event.sentAt <= cutoff) this.transmit(id);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let socket: RelaySocket;
    try {
      const factory = this.options.socketFactory ?? defaultSocketFactory;
      socket = await factory(this.options.url, { authorization: `Bearer ${this.options.secret}` });
    } catch (error) {
      this.options.logger?.warn(`relay connection failed: ${describeError(error)}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    let settled = false;
    // Node 22's WebSocket reports a refused handshake with an error and no close event: treat an error
    // before open, a close, or no open within the timeout alike, once per socket.
    const lost = (why: string) => {
      if (settled || this.socket !== socket) return;
      settled = true;
      clearTimeout(openTimer);
      this.socket = undefined;
      try {
        if (socket.readyState <= OPEN) socket.close(1000, "reconnecting");
      } catch {
        // A socket still connecting may refuse close(); it is abandoned either way.
      }
      if (!this.stopped) {
        this.options.logger?.warn(`relay disconnected (${why}); reconnecting`);
        this.scheduleReconnect();
      }
    };
    const openTimer = setTimeout(() => {
      if (socket.readyState !== OPEN) lost("no answer to the handshake");
    }, this.options.connectTimeoutMs ?? 15_000);
    socket.onopen = () => {
      if (this.socket !== socket) return void socket.close(1000, "superseded");
      clearTimeout(openTimer);
      this.attempt = 0;
      this.options.logger?.info(`relay connected to ${this.options.url}`);
      for (const id of this.pending.keys()) this.transmit(id);
    };
    socket.onmessage = (event) => void this.receive(event.data);
    socket.onerror = (error) => {
      this.options.logger?.warn(`relay socket error: ${describeError(error)}`);
      if (socket.readyState !== OPEN) lost("connection failed");
    };
    socket.onclose = (event) => lost(`closed ${event.code ?? "?"} ${event.reason ?? ""}`.trim());
  }

  /** Full-doubling backoff with jitter: half the step plus a random half, capped. */
  private scheduleReconnect(): void {
    if (this.stopped) return;
    const initial = this.options.initialBackoffMs ?? 500;
    const step = Math.min(this.options.maxBackoffMs ?? 30_000, initial * 2 ** this.attempt);
    const delay = step / 2 + (this.options.random ?? Math.random)() * (step / 2);
    this.attempt++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private async receive(data: unknown): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8"));
    } catch {
      this.options.logger?.warn("relay: ignoring a frame that is not JSON");
      return;
    }
    const parsed = RelayServerMessageSchema.safeParse(json);
    if (!parsed.success) {
      const error = relayIssues(parsed.error);
      const request = json as { type?: unknown; requestId?: unknown } | null;
      // A malformed send still gets its send-result, so the Worker does not wait for it to time out.
      if (request?.type === "send" && typeof request.requestId === "string") {
        this.reply({ type: "send-result", requestId: request.requestId, ok: false, error: `invalid send request: ${error}` });
      } else {
        this.options.logger?.debug?.(`relay: ignoring an invalid frame (${error})`);
      }
      return;
    }
    const frame = parsed.data;
    if (frame.type === "ack") return this.settle(frame.id);
    if (frame.type === "send") return await this.performSend(frame);
    const event = this.pending.get(frame.id);
    if (!event) return;
    event.nacks++;
    if (event.nacks >= MAX_NACKS) {
      this.options.logger?.error(`relay: the Worker refused event ${frame.id} ${event.nacks} times (${frame.error}); dropping it`);
      this.settle(frame.id);
    } else {
      this.options.logger?.warn(`relay: the Worker refused event ${frame.id} (${frame.error}); retrying`);
    }
  }

  /** Forgets an event the Worker took (or that is given up on) and moves the commit point. */
  private settle(id: string): void {
    this.pending.delete(id);
    this.commit();
    if (this.pending.size < (this.options.maxInFlight ?? 1000)) for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private async performSend({ requestId, chatGuid, text, files = [] }: Extract<RelayServerMessage, { type: "send" }>): Promise<void> {
    try {
      await this.options.sender.send(chatGuid, {
        text,
        files: files.map((file) => ({ filename: file.filename, mimeType: file.mimeType, data: Buffer.from(file.dataBase64, "base64") })),
      });
      this.reply({ type: "send-result", requestId, ok: true });
    } catch (error) {
      this.reply({ type: "send-result", requestId, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private reply(message: RelayClientMessage): void {
    if (this.connected) (this.socket as RelaySocket).send(JSON.stringify(message));
  }
}
