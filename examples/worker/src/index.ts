/** An iMessage bot on Cloudflare Workers, written with the adapter's documented snippets (secrets: .dev.vars.example). */
import { Chat, Modal, Select, SelectOption } from "chat";
import { createDurableObjectState, createiMessageAdapter, type iMessageAdapter } from "chat-adapter-imessage";
import { createiMessageWorker } from "chat-adapter-imessage/worker";

const colors = ["Red", "Blue", "Green"].map((label) => SelectOption({ label, value: label.toLowerCase() }));
const poll = Modal({ callbackId: "fav-color", title: "What is your favorite color?", children: [Select({ id: "color", label: "Pick a color", options: colors })] });
const bots = new WeakMap<Env, Chat<{ imessage: iMessageAdapter }>>();

function bot(env: Env): Chat<{ imessage: iMessageAdapter }> {
  let chat = bots.get(env);
  if (chat) return chat;
  chat = new Chat({ userName: "mybot", adapters: { imessage: createiMessageAdapter({ env }) }, state: createDurableObjectState(env.CHAT_STATE) });
  chat.onNewMention(async (thread) => {
    await thread.subscribe();
    await thread.post("Hello from iMessage!");
  });
  chat.onSubscribedMessage(async (thread, message) => {
    if (/color/i.test(message.text)) await message.openModal(poll);
    else if (/thank/i.test(message.text)) await thread.adapter.addReaction(thread.id, message.id, "love");
    else await thread.post(`You said: ${message.text}`);
  });
  chat.onModalSubmit("fav-color", async (event) => void (await event.relatedThread?.post(`You picked ${event.values.color}`)));
  chat.onReaction(async (event) => void (event.added && event.emoji.name === "thumbs_up" && (await event.thread.post("Glad you like it!"))));
  bots.set(env, chat);
  return chat;
}

const worker = createiMessageWorker(bot);
// The adapter's documented gateway route. In chat 4.41 `bot.adapters` is private: use `bot.getAdapter("imessage")`.
worker.app.get("/api/imessage/listen", async (c) => {
  if (c.req.header("authorization") !== `Bearer ${c.env.CRON_SECRET}`) return c.json({ error: "Authorization: Bearer $CRON_SECRET" }, 401);
  return await bot(c.env).getAdapter("imessage").startGatewayListener({ waitUntil: (task) => c.executionCtx.waitUntil(task) }, 20_000);
});

export const { DeliveryLedger, GatewayDO, ChatStateDO } = worker.durableObjects;
export default worker.handler;
