/**
 * @module worker
 * The Worker entry: routes, the example bot, and the Durable Object classes it binds.
 */
import { createWorkerApp } from "./app.ts";
import { createDemoBot } from "./bot.ts";
import { createGatewayDurableObject } from "../../durable-objects/gateway.ts";
import { createDeliveryLedgerDurableObject } from "../../durable-objects/delivery-ledger.ts";
import { gatewayScheduled } from "../gateway/routes.ts";
// The demo keeps the gateway's spectrum-ts app (opt-in; wrangler.toml aliases open-graph-scraper for it).
import { gatewaySpectrum } from "../spectrum.ts";

export { ChatStateDO } from "../../durable-objects/chat-state.ts";

/** The per-conversation delivery ledger, bound to the demo bot: it runs every delivery to completion. */
export class DeliveryLedger extends createDeliveryLedgerDurableObject(createDemoBot) {}

/** The gateway Durable Object, bound to the demo bot, with the spectrum-ts app (see `createGatewayDurableObject`). */
export class GatewayDO extends createGatewayDurableObject(createDemoBot, { spectrum: gatewaySpectrum() }) {}

const app = createWorkerApp(createDemoBot);

export default {
  fetch: app.fetch,
  scheduled: gatewayScheduled,
} satisfies ExportedHandler<Env>;
