/**
 * An iMessage bot on Cloudflare Workers, written with the adapter's documented snippets.
 * Secrets: see .dev.vars.example (`wrangler secret put NAME` for a deployment).
 */
import { Chat, Modal, Select, SelectOption } from "chat";
import { createDurableLedger, createDurableObjectState, createiMessageAdapter, type iMessageAdapter } from "chat-adapter-imessage";
import {
  createDeliveryLedgerDurableObject,
  createGatewayDurableObject,
  createGatewaySpaceDirectory,
  createWorkerApp,
  gatewayScheduled,
} from "chat-adapter-imessage/worker";

// ── The bot ─────────────────────────────────────────────────────────────────

type Bot = Chat<{ imessage: iMessageAdapter }>;

function createBot(env: Env): Bot {
  const bot = new Chat({
    userName: "mybot", // a group message "@mybot hi" mentions the bot
    adapters: {
      imessage: createiMessageAdapter({
        env: env as unknown as Record<string, unknown>,
        ledger: createDurableLedger({ namespace: env.DELIVERY_LEDGER }),
        spaces: createGatewaySpaceDirectory(env.GATEWAY),
      }),
    },
    state: createDurableObjectState(env.CHAT_STATE),
  });

  bot.onNewMention(async (thread) => {
    await thread.subscribe();
    await thread.post("Hello from iMessage!");
  });

  bot.onSubscribedMessage(async (thread, message) => {
    if (/color/i.test(message.text)) {
      await message.openModal(
        Modal({
          callbackId: "fav-color",
          title: "What is your favorite color?",
          children: [
            Select({
              id: "color",
              label: "Pick a color",
              options: [
                SelectOption({ label: "Red", value: "red" }),
                SelectOption({ label: "Blue", value: "blue" }),
                SelectOption({ label: "Green", value: "green" }),
              ],
            }),
          ],
        }),
      );
    } else if (/thank/i.test(message.text)) {
      await thread.adapter.addReaction(thread.id, message.id, "love");
    } else {
      await thread.post(`You said: ${message.text}`);
    }
  });

  bot.onModalSubmit("fav-color", async (event) => {
    await event.relatedThread?.post(`You picked ${event.values.color}`);
  });

  bot.onReaction(async (event) => {
    if (event.added && event.emoji.name === "thumbs_up") await event.thread.post("Glad you like it!");
  });

  return bot;
}

// ── Plumbing (shrinks to one line once the package's Worker helper lands) ─────

const bots = new WeakMap<Env, Bot>();
function botFor(env: Env): Bot {
  let bot = bots.get(env);
  if (!bot) bots.set(env, (bot = createBot(env)));
  return bot;
}

export { ChatStateDO } from "chat-adapter-imessage/worker";
/** Runs each delivery of a conversation to completion, with this bot's handlers. */
export class DeliveryLedger extends createDeliveryLedgerDurableObject(botFor) {}
/** Remembers groups, keeps tokens fresh (the cron below) and holds the relay, for this bot. */
export class GatewayDO extends createGatewayDurableObject(botFor) {}

const app = createWorkerApp(botFor);

// The adapter's documented gateway route, for a cron that calls it with CRON_SECRET. In chat 4.41
// `bot.adapters` is private (undefined at runtime): use `bot.getAdapter("imessage")`.
app.get("/api/imessage/listen", async (c) => {
  if (!c.env.CRON_SECRET || c.req.header("authorization") !== `Bearer ${c.env.CRON_SECRET}`) {
    return c.json({ error: "Authorization: Bearer $CRON_SECRET is missing or wrong" }, 401);
  }
  const imessage = botFor(c.env).getAdapter("imessage");
  return await imessage.startGatewayListener({ waitUntil: (task) => c.executionCtx.waitUntil(task) }, 20_000);
});

export default {
  fetch: app.fetch,
  // The `*/9 * * * *` cron keeps the gateway alive (tokens fresh, relay held).
  scheduled: gatewayScheduled,
} satisfies ExportedHandler<Env>;
