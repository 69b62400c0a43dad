/**
 * @module test/helpers
 * Shared test plumbing: fixtures, signed requests, and a bot that records which Chat callbacks ran.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Chat, type Adapter, type Logger } from "chat";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { createMemoryLedger } from "../src/ledger/ledger.ts";
import type { iMessageAdapter } from "../src/adapter/imessage-adapter.ts";
import { createDurableObjectState } from "../src/state/durable-state.ts";
import { createWorkerApp } from "../src/worker/app.ts";
import { createDemoBot } from "../demo/bot.ts";
import { spectrumWebhookHeaders } from "./simulator/client.ts";

const raw = import.meta.glob<string>("./fixtures/webhooks/*.json", { query: "?raw", import: "default", eager: true });

/** The exact bytes of a shared fixture, e.g. `fixture("dm-text")`. */
export function fixture(name: string): string {
  const text = raw[`./fixtures/webhooks/${name}.json`];
  if (text === undefined) throw new Error(`no fixture ${name}`);
  return text;
}

/** Every fixture name. */
export const FIXTURES = Object.keys(raw).map((path) => path.replace(/^.*\/(.+)\.json$/, "$1"));

export const SECRET = "whsec_test";
export const WEBHOOK_URL = "https://bot.example/api/imessage/webhook";

/** A delivery signed like Spectrum's, with overridable headers. */
export async function signedRequest(
  body: string,
  options: { webhookId?: string; timestamp?: number; secret?: string; headers?: Record<string, string | null> } = {},
): Promise<Request> {
  const headers: Record<string, string> = await spectrumWebhookHeaders({
    secret: options.secret ?? SECRET,
    body,
    timestamp: options.timestamp,
    webhookId: options.webhookId ?? `wh_${crypto.randomUUID()}`,
  });
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return new Request(WEBHOOK_URL, { method: "POST", headers, body });
}

/** Gives a fixture a fresh message id, so tests sharing the durable ledger do not see each other's keys. */
export function withFreshId(body: string): string {
  const json = JSON.parse(body) as { message: { id: string } };
  json.message.id = `${json.message.id}-${crypto.randomUUID()}`;
  return JSON.stringify(json);
}

/** One Chat callback run, as recorded by {@link createRecordingBot}. */
export interface CallbackRun {
  callback: "mention" | "subscribed" | "message" | "reaction" | "modalSubmit";
  threadId: string;
  text?: string;
  messageId?: string;
  detail?: Record<string, unknown>;
}

/** One line the code under test logged: tests assert what is logged on purpose instead of printing it. */
export interface LoggedLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/**
 * A Chat SDK logger that keeps every line in `lines` (children share them) and prints nothing.
 *
 * @example
 * const logger = recordingLogger();
 * createiMessageAdapter({ env, logger });
 * expect(logger.lines).toContainEqual({ level: "warn", message: "Rejected webhook delivery (401)" });
 */
export function recordingLogger(lines: LoggedLine[] = []): Logger & { lines: LoggedLine[] } {
  const at =
    (level: LoggedLine["level"]) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  const logger = { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => logger };
  return logger;
}

/** A bot whose handlers record what ran; `failures` makes the next N handler runs throw. */
export interface RecordingBot {
  chat: Chat<{ imessage: Adapter }>;
  adapter: iMessageAdapter;
  /** What the adapter logged (nothing is printed). */
  logs: LoggedLine[];
  runs: CallbackRun[];
  failures: { remaining: number };
  /** Sends a request through the Worker app and waits for its `waitUntil` work. */
  send(request: Request): Promise<Response>;
}

/**
 * Builds a recording bot on the durable Chat state of the test environment and the in-process
 * ledger (its handlers run in this isolate, so the test sees them; the durable ledger's Durable
 * Object runs the demo bot instead — see `test/dedupe.test.ts`).
 */
export function createRecordingBot(options: { userName?: string; handlerDelayMs?: number } = {}): RecordingBot {
  const logger = recordingLogger();
  const adapter = createiMessageAdapter({
    logger,
    env: env as unknown as Record<string, unknown>,
    // Handlers recorded in this isolate: the in-process ledger, not the env's DELIVERY_LEDGER (which runs the demo bot).
    ledger: createMemoryLedger(),
    userName: options.userName ?? "mybot",
  });
  const chat = new Chat({
    userName: adapter.userName,
    adapters: { imessage: adapter as Adapter },
    state: createDurableObjectState(env.CHAT_STATE),
    logger: "silent",
  });
  const runs: CallbackRun[] = [];
  const failures = { remaining: 0 };
  const record = async (run: CallbackRun) => {
    if (options.handlerDelayMs) await new Promise((resolve) => setTimeout(resolve, options.handlerDelayMs));
    if (failures.remaining > 0) {
      failures.remaining--;
      throw new Error("handler failed on purpose");
    }
    runs.push(run);
  };
  chat.onNewMention(async (thread, message) =>
    record({
      callback: "mention",
      threadId: thread.id,
      text: message.text,
      messageId: message.id,
      detail: {
        attachments: message.attachments.map((a) => ({ name: a.name, mimeType: a.mimeType, size: a.size, type: a.type })),
        replyTo: message.replyTo?.id,
        author: message.author.userId,
        isMention: message.isMention,
      },
    }),
  );
  chat.onSubscribedMessage(async (thread, message) =>
    record({ callback: "subscribed", threadId: thread.id, text: message.text, messageId: message.id }),
  );
  chat.onNewMessage(/[\s\S]*/, async (thread, message) =>
    record({ callback: "message", threadId: thread.id, text: message.text, messageId: message.id }),
  );
  chat.onReaction(async (event) =>
    record({
      callback: "reaction",
      threadId: event.threadId,
      messageId: event.messageId,
      detail: { emoji: event.emoji.name, rawEmoji: event.rawEmoji, added: event.added, user: event.user.userId },
    }),
  );
  chat.onModalSubmit(async (event) =>
    record({
      callback: "modalSubmit",
      threadId: event.relatedThread?.id ?? "",
      detail: { callbackId: event.callbackId, values: event.values, user: event.user.userId, viewId: event.viewId },
    }),
  );
  const app = createWorkerApp(() => chat);
  return {
    chat,
    adapter,
    logs: logger.lines,
    runs,
    failures,
    send: (request) => through(app, request),
  };
}

/** A fixture moved to a DM with an address of its own (fresh message id), so parallel suites never share a chat. */
export function inOwnDm(name: string, content?: Record<string, unknown>): { body: string; address: string; chatGuid: string; messageId: string } {
  const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  const chatGuid = `any;-;${address}`;
  const json = JSON.parse(withFreshId(fixture(name)));
  json.message.sender = { id: address };
  json.message.space = { ...json.message.space, id: chatGuid };
  if (json.space) json.space = { ...json.space, id: chatGuid };
  if (content) json.message.content = content;
  return { body: JSON.stringify(json), address, chatGuid, messageId: json.message.id };
}

/** Tells the simulated iMessage server about an inbound message (as if it had arrived there first). */
export async function seedInbound(simulatorUrl: string, body: string): Promise<void> {
  const response = await fetch(`${simulatorUrl}/__sim/deliver`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: `${simulatorUrl}/__sim/echo`, secret: SECRET, envelope: body }),
  });
  if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
}

/** Anything with a Worker's `fetch` (the entry's default export, a Hono app). */
export interface FetchHandler {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
}

/** Sends a request through a Worker handler and waits for its `waitUntil` work. */
export async function through(handler: FetchHandler, request: Request, bindings: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await handler.fetch(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/**
 * The local bridge's relay WebSocket into the Worker's gateway (authorised with the test RELAY_SECRET),
 * accepted, with every reply the gateway sends collected in `replies`.
 */
export async function openRelay<Reply = { id: string; type: string; duplicate?: boolean }>(): Promise<{ socket: WebSocket; replies: Reply[] }> {
  const ctx = createExecutionContext();
  const response = await createWorkerApp(createDemoBot).fetch(
    new Request("https://bot.example/api/imessage/relay?secret=relay_test_secret_0123", { headers: { upgrade: "websocket" } }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const socket = response.webSocket as WebSocket;
  socket.accept();
  const replies: Reply[] = [];
  socket.addEventListener("message", (event) => void replies.push(JSON.parse(event.data as string) as Reply));
  return { socket, replies };
}
