/**
 * @module worker/bot
 * The example bot the Worker runs: echo, subscribe, a tapback on "thanks", typing, a poll on "poll".
 * Configured only through the Worker's env (secrets / .dev.vars).
 */
import { Chat, type Message, type Thread } from "chat";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import type { iMessageAdapter } from "../src/adapter/imessage-adapter.ts";
import { createGatewaySpaceDirectory } from "../src/spaces/gateway-directory.ts";
import { createDurableObjectState } from "../src/state/durable-state.ts";
import { createLineLogger } from "../src/worker/line-logger.ts";

const bots = new WeakMap<Env, Chat<{ imessage: iMessageAdapter }>>();

/** The poll's options: a vote arrives as the value, the answer names the label. */
const COLORS = [
  { label: "Red", value: "red" },
  { label: "Blue", value: "blue" },
  { label: "Green", value: "green" },
];

/** Test-only (reliability suite): `DEMO_SLOW_MS` makes every answer wait that long first, like a slow LLM call. */
function slowPathMs(env: Env): number {
  const ms = Number((env as { DEMO_SLOW_MS?: string }).DEMO_SLOW_MS ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

async function answer(imessage: iMessageAdapter, thread: Thread, message: Message, slowMs = 0): Promise<void> {
  if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
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
          options: COLORS,
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
  const files = message.attachments.map((attachment) => attachment.name ?? "attachment");
  const reply = files.length > 0 ? `Got your file${files.length > 1 ? "s" : ""}: ${files.join(", ")}${text ? ` — "${text}"` : ""}` : `You said: ${text}`;
  // The user's words echoed as written: a plain string, not markdown (their `*` and `_` are not markup).
  await thread.post(reply.trimEnd());
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
  const logger = createLineLogger("info");
  const imessage = createiMessageAdapter({
    env: env as unknown as Record<string, unknown>,
    logger: logger.child("imessage"),
    // Every envelope to the gateway's opt-in spectrum-ts app (one gateway request per message);
    // `DEMO_STREAM_ENVELOPES=false` leaves it out, as a Worker without that app (the bench measures that).
    spaces: createGatewaySpaceDirectory(env.GATEWAY, { streamEnvelopes: (env as { DEMO_STREAM_ENVELOPES?: string }).DEMO_STREAM_ENVELOPES !== "false" }),
  });
  const bot = new Chat({
    userName: imessage.userName,
    adapters: { imessage },
    state: createDurableObjectState(env.CHAT_STATE),
    logger,
  });
  bot.onNewMention(async (thread, message) => {
    await thread.subscribe();
    await answer(imessage, thread, message, slowPathMs(env));
  });
  bot.onSubscribedMessage(async (thread, message) => {
    await answer(imessage, thread, message, slowPathMs(env));
  });
  bot.onReaction(async (event) => {
    if (event.added) await event.thread.post(`Thanks for the ${event.rawEmoji}`);
  });
  bot.onModalSubmit("favorite-color", async (event) => {
    const color = COLORS.find((option) => option.value === event.values.color)?.label ?? event.values.color;
    await event.relatedThread?.post(`Got your vote: ${color}`);
  });
  bots.set(env, bot);
  return bot;
}
