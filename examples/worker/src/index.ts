/**
 * An iMessage bot on Cloudflare Workers: echoes every message and subscribes to the conversation.
 * Secrets: IMESSAGE_PROJECT_ID, IMESSAGE_PROJECT_SECRET, IMESSAGE_WEBHOOK_SECRET (wrangler secret put …).
 */
import { Chat } from "chat";
import { createDurableLedger, createDurableObjectState, createiMessageAdapter, type iMessageAdapter } from "chat-adapter-imessage";
import { createWorkerApp } from "chat-adapter-imessage/worker";

// wrangler.toml binds these classes: the Worker's entry must export them.
export { ChatStateDO, DeliveryLedger, GatewayDO } from "chat-adapter-imessage/worker";

const bots = new WeakMap<Env, Chat<{ imessage: iMessageAdapter }>>();

function createBot(env: Env): Chat<{ imessage: iMessageAdapter }> {
  const existing = bots.get(env);
  if (existing) return existing;
  const imessage = createiMessageAdapter({
    env: env as unknown as Record<string, unknown>,
    ledger: createDurableLedger({ namespace: env.DELIVERY_LEDGER, kv: env.DEDUPE_KV }),
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

const app = createWorkerApp(createBot);

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
