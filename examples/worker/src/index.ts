/**
 * An iMessage bot on Cloudflare Workers: echoes every message and subscribes to the conversation.
 * Secrets: IMESSAGE_PROJECT_ID, IMESSAGE_PROJECT_SECRET, IMESSAGE_WEBHOOK_SECRET (wrangler secret put …).
 */
import { Chat } from "chat";
import { createDurableLedger, createDurableObjectState, createiMessageAdapter, type iMessageAdapter } from "chat-adapter-imessage";
import {
  createGatewayDurableObject,
  createGatewayRedelivery,
  createGatewaySpaceDirectory,
  createWorkerApp,
  gatewayScheduled,
} from "chat-adapter-imessage/worker";

// wrangler.toml binds these classes: the Worker's entry must export them.
export { ChatStateDO, DeliveryLedger } from "chat-adapter-imessage/worker";

const bots = new WeakMap<Env, Chat<{ imessage: iMessageAdapter }>>();

function createBot(env: Env): Chat<{ imessage: iMessageAdapter }> {
  const existing = bots.get(env);
  if (existing) return existing;
  const imessage = createiMessageAdapter({
    env: env as unknown as Record<string, unknown>,
    ledger: createDurableLedger({ namespace: env.DELIVERY_LEDGER, kv: env.DEDUPE_KV }),
    // Groups stay replyable across isolates and deploys: the gateway remembers every space seen.
    spaces: createGatewaySpaceDirectory(env.GATEWAY),
    // Handlers that fail after the 200 are run again by the gateway, with backoff.
    redelivery: createGatewayRedelivery(env.GATEWAY),
  });
  const bot = new Chat({
    userName: imessage.userName,
    adapters: { imessage },
    state: createDurableObjectState(env.CHAT_STATE),
  });
  bot.onNewMention(async (thread, message) => {
    await thread.subscribe();
    await thread.post(`You said: ${message.text}`);
  });
  bot.onSubscribedMessage(async (thread, message) => {
    await thread.post(`You said: ${message.text}`);
  });
  bots.set(env, bot);
  return bot;
}

/** The gateway Durable Object routes relayed events into this same bot. */
export class GatewayDO extends createGatewayDurableObject(createBot) {}

const app = createWorkerApp(createBot);

export default {
  fetch: app.fetch,
  // The `*/9 * * * *` cron keeps the gateway alive (tokens fresh, relay held).
  scheduled: gatewayScheduled,
} satisfies ExportedHandler<Env>;
