/**
 * @module worker
 * The Worker entry: routes, the example bot, and the Durable Object classes it binds.
 */
import { createWorkerApp } from "./app.ts";
import { createDemoBot } from "./bot.ts";

export { ChatStateDO } from "../../durable-objects/chat-state.ts";
export { DeliveryLedger } from "../../durable-objects/delivery-ledger.ts";
export { GatewayDO } from "../../durable-objects/gateway.ts";

const app = createWorkerApp(createDemoBot);

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
