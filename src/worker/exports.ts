/**
 * @module chat-adapter-imessage/worker
 * What a Worker of your own needs besides the adapter: the Hono app (webhook, gateway and relay routes),
 * the cron handler, and the Durable Object classes its wrangler config binds (export them from your
 * Worker's entry; bind the gateway to your bot with `createGatewayDurableObject`).
 */
export { createWorkerApp, type BotFactory } from "./app.ts";
export { createiMessageWorker, type iMessageWorker } from "./imessage-worker.ts";
export { createLineLogger, type LineLogLevel } from "./line-logger.ts";
export { cronAuth, gatewayScheduled } from "./gateway-routes.ts";
export { createGatewaySpaceDirectory } from "../spaces/gateway-directory.ts";
export { ChatStateDO } from "../durable-objects/chat-state.ts";
export { DeliveryLedger, DeliveryLedgerBase, createDeliveryLedgerDurableObject } from "../durable-objects/delivery-ledger.ts";
export { GatewayDO, GatewayBase, createGatewayDurableObject, type GatewayOptions, type GatewayStatus } from "../durable-objects/gateway.ts";
export type { iMessageBindings } from "../durable-objects/bindings.ts";
export type { GatewayBot } from "../adapter/bot.ts";
