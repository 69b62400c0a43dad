/** An iMessage bot on Cloudflare Workers, written with the adapter's documented snippets (secrets: .dev.vars.example). */
import { Chat, Modal, Select, SelectOption } from "chat";
import { createDurableObjectState, createiMessageAdapter } from "chat-adapter-imessage";
import { createiMessageWorker, cronAuth } from "chat-adapter-imessage/worker";

const colors = ["Red", "Blue", "Green"].map((label) => SelectOption({ label, value: label.toLowerCase() }));
const poll = Modal({ callbackId: "fav-color", title: "What is your favorite color?", children: [Select({ id: "color", label: "Pick a color", options: colors })] });

const worker = createiMessageWorker((env: Env) => {
  const bot = new Chat({ userName: "mybot", adapters: { imessage: createiMessageAdapter({ env }) }, state: createDurableObjectState(env.CHAT_STATE) });
  bot.onNewMention(async (thread) => {
    await thread.subscribe();
    await thread.post("Hello from iMessage!");
  });
  bot.onSubscribedMessage(async (thread, message) => {
    if (/color/i.test(message.text)) await message.openModal(poll);
    else if (/thank/i.test(message.text)) await thread.adapter.addReaction(thread.id, message.id, "love");
    else await thread.post(`You said: ${message.text}`);
  });
  bot.onModalSubmit("fav-color", async (event) => void (await event.relatedThread?.post(`You picked ${event.values.color}`)));
  bot.onReaction(async (event) => void (event.added && event.emoji.name === "thumbs_up" && (await event.thread.post("Glad you like it!"))));
  return bot;
});

// The adapter's documented gateway route. In chat 4.41 `bot.adapters` is private: use `bot.getAdapter("imessage")`.
worker.app.get("/api/imessage/listen", cronAuth(), async (c) =>
  worker.bot(c.env).getAdapter("imessage").startGatewayListener({ waitUntil: (task) => c.executionCtx.waitUntil(task) }, 20_000),
);

export const { DeliveryLedger, GatewayDO, ChatStateDO } = worker.durableObjects;
export default worker.handler;
