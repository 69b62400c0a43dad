/**
 * @module worker/bot
 * The example bot the Worker runs: echo, subscribe, a tapback on "thanks", typing, a poll on "poll".
 * Configured only through the Worker's env (secrets / .dev.vars).
 */
import { Chat, type Message, type Thread } from "chat";
import { createiMessageAdapter } from "../adapter/create.ts";
import type { iMessageAdapter } from "../adapter/imessage-adapter.ts";
import { createDurableLedger } from "../dedupe/durable-ledger.ts";
import { createGatewayRedelivery, createGatewaySpaceDirectory } from "../gateway/directory.ts";
import { createDurableObjectState } from "../state/durable-state.ts";

const bots = new WeakMap<Env, Chat<{ imessage: iMessageAdapter }>>();

async function answer(imessage: iMessageAdapter, thread: Thread, message: Message): Promise<void> {
  const text = message.text.trim();
  if (/^poll\b/i.test(text)) {
    await imessage.openModal(thread.id, {
      type: "modal",
      callbackId: "favorite-color",
      title: "What is your favorite color?",
      privateMetadata: thread.id,
      children: [
        {
          type: "select",
          id: "color",
          label: "Color",
          options: [
            { label: "Red", value: "red" },
            { label: "Blue", value: "blue" },
            { label: "Green", value: "green" },
          ],
        },
      ],
    });
    return;
  }
  if (/\bthank(s| you)\b/i.test(text)) {
    await imessage.addReaction(thread.id, message.id, "heart");
    return;
  }
  await thread.startTyping();
  const reply = message.attachments.length > 0 ? `Got your file: ${message.attachments[0]?.name ?? "attachment"}` : `You said: ${text}`;
  await thread.post({ markdown: reply });
}

/**
 * The bot for an environment, built once per isolate and environment.
 *
 * @example
 * ```ts
 * await createDemoBot(env).webhooks.imessage(request, { waitUntil: (p) => ctx.waitUntil(p) });
 * ```
 */
export function createDemoBot(env: Env): Chat<{ imessage: iMessageAdapter }> {
  const existing = bots.get(env);
  if (existing) return existing;
  const imessage = createiMessageAdapter({
    env: env as unknown as Record<string, unknown>,
    ledger: createDurableLedger({ namespace: env.DELIVERY_LEDGER, kv: env.DEDUPE_KV }),
    spaces: createGatewaySpaceDirectory(env.GATEWAY),
    redelivery: createGatewayRedelivery(env.GATEWAY),
  });
  const bot = new Chat({
    userName: imessage.userName,
    adapters: { imessage },
    state: createDurableObjectState(env.CHAT_STATE),
    logger: "info",
  });
  bot.onNewMention(async (thread, message) => {
    await thread.subscribe();
    await answer(imessage, thread, message);
  });
  bot.onSubscribedMessage(async (thread, message) => {
    await answer(imessage, thread, message);
  });
  bot.onReaction(async (event) => {
    if (event.added) await event.thread.post(`Thanks for the ${event.rawEmoji}`);
  });
  bot.onModalSubmit("favorite-color", async (event) => {
    await event.relatedThread?.post(`${event.user.userName} voted ${event.values.color}`);
  });
  bots.set(env, bot);
  return bot;
}
