/**
 * @module durable-objects/isolate-bot
 * How a Durable Object the Worker only re-exports (`export { DeliveryLedger } from
 * "chat-adapter-imessage/worker"`, no bot factory) finds the bot whose handlers it runs: the adapter
 * that the Worker's module-level bot initialized in this isolate. In an isolate where nothing has
 * initialized it yet (an alarm after a restart, say), the object calls its own Worker's default export
 * through `ctx.exports` with a wake request on the route the webhook came in on: the Worker's
 * `bot.webhooks.imessage` initializes the bot and the adapter answers 204. Workers runs such a loopback
 * call in the caller's isolate; should it not, the object says why it cannot run deliveries.
 */
import { initializedAdapter, WAKE_HEADER } from "../adapter/isolate-adapter.ts";
import { iMessageAdapter } from "../adapter/imessage-adapter.ts";

/** The adapter to run deliveries with, or why there is none. */
export type FoundAdapter = { adapter: iMessageAdapter } | { why: string };

interface LoopbackExports {
  default?: { fetch?: (request: Request) => Promise<Response> };
}

/** One wake at a time per isolate: ledgers waking together share it. */
let waking: Promise<string> | undefined;

async function wake(loopback: (request: Request) => Promise<Response>, path: string): Promise<string> {
  try {
    const response = await loopback(new Request(new URL(path, "https://imessage-ledger.internal"), { method: "POST", headers: { [WAKE_HEADER]: "1" } }));
    await response.body?.cancel();
    return `it answered ${response.status}`;
  } catch (error) {
    return `it threw ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
  }
}

/**
 * The iMessage adapter of this isolate's bot, waking the Worker's fetch handler on `routePath()` (the
 * webhook route of a waiting delivery; `/` when none recorded one) when nothing has initialized it yet.
 *
 * @example
 * ```ts
 * const found = await isolateAdapter(this.ctx, () => this.store.routePath());
 * if ("adapter" in found) await found.adapter.runDelivery(delivery, run);
 * ```
 */
export async function isolateAdapter(ctx: DurableObjectState, routePath: () => string | undefined): Promise<FoundAdapter> {
  const found = initializedAdapter();
  if (found instanceof iMessageAdapter) return { adapter: found };
  if (found) return { why: "the adapter initialized in this isolate is not this package's iMessageAdapter (two copies of chat-adapter-imessage are bundled)" };
  const worker = (ctx as DurableObjectState & { exports?: LoopbackExports }).exports?.default;
  const loopback = typeof worker?.fetch === "function" ? worker.fetch.bind(worker) : undefined;
  if (!loopback) {
    return { why: "no bot has been initialized in this isolate, and ctx.exports (to wake your Worker's fetch handler) is not available: set compatibility_date 2025-11-17 or later" };
  }
  const path = routePath() ?? "/";
  waking ??= wake(loopback, path).finally(() => (waking = undefined));
  const answer = await waking;
  const after = initializedAdapter();
  if (after instanceof iMessageAdapter) return { adapter: after };
  return {
    why: `no bot has been initialized in this isolate; asked your Worker's fetch handler to initialize it (POST ${path} with ${WAKE_HEADER}) and ${answer}, yet no iMessage adapter was initialized: route that path to bot.webhooks.imessage`,
  };
}
