/**
 * @module worker/imessage-worker
 * A whole iMessage bot Worker from one bot factory: the fetch handler (webhook, gateway, dead-letter
 * and relay routes), the cron handler, and the Durable Object classes bound to that bot.
 */
import type { Hono } from "hono";
import { ChatStateDO } from "../durable-objects/chat-state.ts";
import { createDeliveryLedgerDurableObject, type DeliveryLedgerBase } from "../durable-objects/delivery-ledger.ts";
import { createGatewayDurableObject, type GatewayBase, type GatewayOptions } from "../durable-objects/gateway.ts";
import type { GatewayBot } from "../adapter/bot.ts";
import { gatewayScheduled, type GatewayBindings } from "./gateway-routes.ts";
import { createWorkerApp } from "./app.ts";

/** What {@link createiMessageWorker} returns. */
export interface iMessageWorker<E extends GatewayBindings> {
  /** The Worker's default export: `fetch` (routes) and `scheduled` (the gateway keepalive cron). */
  handler: { fetch: Hono<{ Bindings: E }>["fetch"]; scheduled: typeof gatewayScheduled };
  /** The Hono app behind `handler.fetch`, to add routes of your own. */
  app: Hono<{ Bindings: E }>;
  /** The bot of an env (built on first use, then the same `Chat` for that env). */
  bot: (env: E) => GatewayBot;
  /** Export each of these from the Worker's entry under the `class_name` its wrangler config binds. */
  durableObjects: {
    DeliveryLedger: new (ctx: DurableObjectState, env: E) => DeliveryLedgerBase<E>;
    GatewayDO: new (ctx: DurableObjectState, env: E) => GatewayBase<E, unknown>;
    ChatStateDO: typeof ChatStateDO;
  };
}

/**
 * Turns a bot factory into a user's whole Worker. `createBot(env)` is called once per env (isolate);
 * the bot's handlers run in the `DeliveryLedger` Durable Object that owns each conversation. `options.gateway`
 * configures the gateway Durable Object (e.g. `{ spectrum: gatewaySpectrum() }` from
 * `chat-adapter-imessage/spectrum`).
 *
 * @example
 * ```ts
 * const { handler, durableObjects } = createiMessageWorker((env: Env) => {
 *   const bot = new Chat({ userName: "mybot", adapters: { imessage: createiMessageAdapter({ env }) }, state: createDurableObjectState(env.CHAT_STATE) });
 *   bot.onNewMention(async (thread) => { await thread.post("Hello from iMessage!"); });
 *   return bot;
 * });
 * export const { DeliveryLedger, GatewayDO, ChatStateDO } = durableObjects;
 * export default handler;
 * ```
 */
export function createiMessageWorker<E extends GatewayBindings>(
  createBot: (env: E) => GatewayBot,
  options: { gateway?: GatewayOptions<E, unknown> } = {},
): iMessageWorker<E> {
  const bots = new WeakMap<object, GatewayBot>();
  const botFor = (env: E): GatewayBot => {
    let bot = bots.get(env);
    if (!bot) bots.set(env, (bot = createBot(env)));
    return bot;
  };
  const app = createWorkerApp<E>(botFor);
  return {
    handler: { fetch: app.fetch, scheduled: gatewayScheduled },
    app,
    bot: botFor,
    durableObjects: {
      DeliveryLedger: class DeliveryLedger extends createDeliveryLedgerDurableObject<E>(botFor) {},
      GatewayDO: class GatewayDO extends createGatewayDurableObject<E, unknown>(botFor, options.gateway) {},
      ChatStateDO,
    },
  };
}
