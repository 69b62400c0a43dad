/**
 * @module adapter/isolate-adapter
 * The iMessage adapter this isolate's bot initialized last. A Worker written as the Chat SDK documents
 * it builds its bot (at module level, or per request from `env`) and routes the webhook to
 * `bot.webhooks.imessage`, which initializes the adapter with its Chat. A Durable Object class the
 * Worker merely re-exports (`export { DeliveryLedger } from "chat-adapter-imessage/worker"`) was never
 * given that bot; it finds it here once something in its isolate has initialized it (see
 * `durable-objects/isolate-bot`). A Worker has one bot (all its deliveries share one
 * `DELIVERY_LEDGER`), so the newest adapter is the one: bots built per request are the same bot.
 */

/** The header of a wake request: a loopback call that only initializes the bot, answered 204. */
export const WAKE_HEADER = "x-imessage-ledger-wake";

/** Held weakly: a bot built per request is collected with it, and then woken again. */
let latest: WeakRef<object> | undefined;

/** Notes an adapter its Chat just initialized (called by `iMessageAdapter.initialize`). */
export function noteInitialized(adapter: object): void {
  latest = new WeakRef(adapter);
}

/** The adapter initialized last in this isolate, if it is still alive. */
export function initializedAdapter(): object | undefined {
  return latest?.deref();
}
