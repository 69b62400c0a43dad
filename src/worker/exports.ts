/**
 * @module chat-adapter-imessage/worker
 * What a Worker of your own needs besides the adapter: the Hono app with the webhook route, and the
 * Durable Object classes its wrangler config binds (export them from your Worker's entry).
 */
export { createWorkerApp, type BotFactory } from "./app.ts";
export { ChatStateDO } from "../../durable-objects/chat-state.ts";
export { DeliveryLedger } from "../../durable-objects/delivery-ledger.ts";
export { GatewayDO } from "../../durable-objects/gateway.ts";
