/**
 * @module gateway/listener
 * `startGatewayListener` with the reference adapter's signature, for serverless routes (Next.js,
 * Workers) that a cron calls every few minutes. Over HTTP there is no live event stream: while it
 * runs, the listener polls `/v1/messages:listRecent` after a cursor kept in the Chat state and feeds
 * unseen inbound messages through the same dedupe and routing as webhooks. A later run resumes from
 * that cursor, so messages between runs are caught up, not lost.
 */
import type { ChatInstance, WebhookOptions } from "chat";
import type { CatchUpTarget } from "./gateway-core.ts";
import type { CatchUpCursor } from "./catch-up.ts";
import { keepalive, type CursorStore } from "./gateway-core.ts";
import { sleep } from "../core/sleep.ts";

/** Default listening time, as in the reference adapter (3 minutes). */
export const DEFAULT_LISTEN_MS = 180_000;
/** Time between two catch-up polls while listening. */
export const LISTEN_POLL_MS = 5_000;
const CURSOR_TTL_MS = 30 * 24 * 60 * 60 * 1000;

function stateCursors(chat: ChatInstance): CursorStore {
  const key = (line: string) => `imessage:gateway:cursor:${line}`;
  return {
    get: async (line) => (await chat.getState().get<CatchUpCursor>(key(line))) ?? undefined,
    put: async (line, cursor) => await chat.getState().set(key(line), cursor, CURSOR_TTL_MS),
  };
}

/**
 * Acknowledges at once with `{status: "listening", durationMs, mode: "poll", message}` and keeps
 * polling in `options.waitUntil` until `durationMs` has passed or `abortSignal` fires. Answers 500
 * when the adapter is not initialized or `waitUntil` is missing.
 *
 * @example
 * ```ts
 * // app/api/imessage/gateway/route.ts
 * export async function GET() {
 *   await bot.initialize();
 *   return bot.getAdapter("imessage").startGatewayListener({ waitUntil: (p) => after(() => p) }, 600_000);
 * }
 * ```
 */
export async function startGatewayListener(
  adapter: CatchUpTarget,
  chat: ChatInstance | undefined,
  options: WebhookOptions,
  durationMs = DEFAULT_LISTEN_MS,
  abortSignal?: AbortSignal,
): Promise<Response> {
  if (!chat) return new Response("Chat instance not initialized", { status: 500 });
  if (!options.waitUntil) return new Response("waitUntil not provided", { status: 500 });
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), durationMs);
  const onAbort = () => stop.abort();
  abortSignal?.addEventListener("abort", onAbort, { once: true });
  if (abortSignal?.aborted) stop.abort();
  const cursors = stateCursors(chat);
  adapter.logger.info("Starting iMessage gateway listener", { durationMs, mode: "poll" });

  const listening = (async () => {
    while (!stop.signal.aborted) {
      try {
        await keepalive(adapter, cursors, { catchUp: true, signal: stop.signal });
      } catch (error) {
        adapter.logger.warn("Gateway catch-up poll failed; retrying on the next poll", { error });
      }
      await sleep(LISTEN_POLL_MS, stop.signal);
    }
    clearTimeout(timer);
    abortSignal?.removeEventListener("abort", onAbort);
    adapter.logger.info("iMessage gateway listener stopped");
  })();
  options.waitUntil(listening);

  return Response.json({
    status: "listening",
    durationMs,
    mode: "poll",
    message: `Gateway listener started, will poll for ${durationMs / 1000} seconds`,
  });
}
