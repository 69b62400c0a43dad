/**
 * @module worker
 * The Worker entry: the demo bot through `createiMessageWorker`, the same path a user's Worker takes
 * (routes, cron, and the Durable Object classes bound to the bot).
 */
import { createiMessageWorker } from "../src/worker/imessage-worker.ts";
import { createDemoBot } from "./bot.ts";
// The demo keeps the gateway's spectrum-ts app (opt-in; wrangler.toml aliases open-graph-scraper for it).
import { gatewaySpectrum } from "../src/spectrum.ts";

const { handler, durableObjects } = createiMessageWorker(createDemoBot, { gateway: { spectrum: gatewaySpectrum() } });

/** The delivery ledgers, the gateway and the Chat SDK state, each bound to the demo bot where it runs handlers. */
export const { DeliveryLedger, GatewayDO, ChatStateDO } = durableObjects;

export default handler;
