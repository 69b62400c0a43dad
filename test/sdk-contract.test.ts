/**
 * The Chat SDK's own fallbacks and iterators, through the public API: what iMessage cannot do is absent
 * (so `thread.postEphemeral` falls back to a DM), and `thread.allMessages` pages oldest first.
 */
import { Chat, type Adapter, type Message, type Thread } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { fixture, inOwnDm, recordingLogger, SECRET, seedInbound, signedRequest, withFreshId } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { selfHosted, silent, sim, simulatorHostPort } from "./outbound-helpers.ts";
import { catchUpDelivery } from "../src/gateway/catch-up.ts";
import { parseDelivery } from "../src/webhook/envelope.ts";
import { buildEnvelope } from "./simulator/webhook.ts";

const randomAddress = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;

describe("Chat SDK fallbacks", () => {
  it("the adapter has no postEphemeral, so the SDK's fallback runs", async () => {
    const w = await selfHosted();
    expect("postEphemeral" in w.adapter).toBe(false);
  });

  it("thread.postEphemeral with fallbackToDM: true DMs the user; with false it returns null and sends nothing", async () => {
    const w = await selfHosted();
    const peer = randomAddress();
    const group = `any;+;chat${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
    await sim.inbound(buildEnvelope({ chatGuid: group, sender: peer, text: "hi group" }));
    const thread = w.chat.thread(`imessage:${group}`);
    const sent = await thread.postEphemeral(peer, "only for you", { fallbackToDM: true });
    expect(sent).not.toBeNull();
    const { delivered } = await sim.sends({ chatPrefix: `any;-;${peer}` });
    expect(delivered.map((m) => [m.chatGuid, m.text])).toEqual([[`any;-;${peer}`, "only for you"]]);

    const none = await thread.postEphemeral(peer, "not sent", { fallbackToDM: false });
    expect(none).toBeNull();
    const after = await sim.sends({ chatPrefix: `any;-;${peer}` });
    expect(after.delivered).toHaveLength(1);
  });
});

describe("before initialisation", () => {
  it("handleWebhook answers a retryable 503 (never a 200 that would lose the message); bad input still gets its 4xx", async () => {
    const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent });
    const response = await adapter.handleWebhook(await signedRequest(withFreshId(fixture("dm-text"))));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(((await response.json()) as { error: string }).error).toMatch(/not initialized/);
    const unsigned = await adapter.handleWebhook(await signedRequest(withFreshId(fixture("dm-text")), { headers: { "x-spectrum-signature": null } }));
    expect(unsigned.status).toBe(400);
  });
});

describe("durable without wiring", () => {
  it("without env, the adapter finds the Worker's DELIVERY_LEDGER itself: the seed's snippet gets the durable ledger", async () => {
    const { env } = await import("cloudflare:workers");
    const logger = recordingLogger();
    const adapter = createiMessageAdapter({ local: false, projectId: env.IMESSAGE_PROJECT_ID, projectSecret: env.IMESSAGE_PROJECT_SECRET, webhookSecret: SECRET, logger });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
    const dm = inOwnDm("dm-text", { type: "text", text: "durable?" });
    await seedInbound(env.SIMULATOR_URL, dm.body);
    const response = await chat.webhooks.imessage(await signedRequest(dm.body), { waitUntil: () => undefined });
    expect(await response.json()).toMatchObject({ status: "accepted", key: expect.stringMatching(/^msg:/) });
    // The ledger's Durable Object (bound to the Worker's bot) answers it: nothing ran in this request.
    await expect.poll(async () => (await sim.sends({ chatPrefix: dm.chatGuid })).delivered.map((m) => m.text), { timeout: 15_000 }).toEqual(["You said: durable?"]);
    expect(logger.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("without env, a catch-up delivery before any webhook (a cron isolate) also goes to the Worker's DELIVERY_LEDGER", async () => {
    const { env } = await import("cloudflare:workers");
    const logger = recordingLogger();
    const adapter = createiMessageAdapter({ local: false, projectId: env.IMESSAGE_PROJECT_ID, projectSecret: env.IMESSAGE_PROJECT_SECRET, webhookSecret: SECRET, logger });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
    await chat.initialize();
    const dm = inOwnDm("dm-text", { type: "text", text: "caught up?" });
    await seedInbound(env.SIMULATOR_URL, dm.body);
    const parsed = parseDelivery(new TextEncoder().encode(dm.body));
    if (parsed.kind !== "message") throw new Error(`fixture did not parse: ${parsed.kind}`);
    const response = await adapter.acceptDelivery(catchUpDelivery(parsed.envelope));
    expect(await response.json()).toMatchObject({ status: "accepted" });
    // The Worker's bot, run by the ledger's Durable Object, answers (this Chat has no handlers at all).
    await expect.poll(async () => (await sim.sends({ chatPrefix: dm.chatGuid })).delivered.map((m) => m.text), { timeout: 15_000 }).toEqual(["You said: caught up?"]);
    expect(logger.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("with an env that has no DELIVERY_LEDGER, initializing alone (a cron isolate that only posts) warns once", async () => {
    const logger = recordingLogger();
    const adapter = createiMessageAdapter({ env: { IMESSAGE_SERVER_URL: simulatorHostPort, IMESSAGE_API_KEY: "sim_api_key" }, webhookSecret: SECRET, logger });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
    const warnings = () => logger.lines.filter((l) => l.level === "warn" && l.message.includes("not crash-safe"));
    await chat.initialize();
    expect(warnings()).toHaveLength(1);
    await chat.webhooks.imessage(await signedRequest(withFreshId(fixture("dm-text"))), { waitUntil: () => undefined });
    expect(warnings()).toHaveLength(1);
  });

  it("with an env that has no DELIVERY_LEDGER, it warns once that deliveries are not crash-safe and what to add", async () => {
    const logger = recordingLogger();
    const adapter = createiMessageAdapter({ env: { IMESSAGE_SERVER_URL: simulatorHostPort, IMESSAGE_API_KEY: "sim_api_key" }, webhookSecret: SECRET, logger });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
    for (let i = 0; i < 2; i++) {
      const tasks: Promise<unknown>[] = [];
      await chat.webhooks.imessage(await signedRequest(withFreshId(fixture("dm-text"))), { waitUntil: (t) => void tasks.push(t) });
      await Promise.all(tasks);
    }
    const warnings = logger.lines.filter((l) => l.level === "warn" && l.message.includes("not crash-safe"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/name = "DELIVERY_LEDGER"/);
  });
});

describe("emoji tapbacks inbound", () => {
  it("an emoji tapback reaches onReaction with that emoji (well-known name, raw character kept); the classic six keep their names", async () => {
    const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
    const seen: [string, string, boolean][] = [];
    chat.onReaction((event) => void seen.push([event.emoji.name, event.rawEmoji, event.added]));
    await chat.initialize();
    for (const emoji of ["👀", "🔥", "❤️", "‼️"]) {
      const json = JSON.parse(withFreshId(fixture("tapback-reaction")));
      json.message.content.emoji = emoji;
      expect((await adapter.handleWebhook(await signedRequest(JSON.stringify(json)))).status).toBe(200);
    }
    expect(seen).toEqual([
      ["eyes", "👀", true],
      ["fire", "🔥", true],
      ["heart", "❤️", true],
      ["exclamation", "‼️", true],
    ]);
  });
});

describe("history both ways", () => {
  it("thread.allMessages iterates every message oldest first (forward pages over a newest-first server)", async () => {
    const w = await selfHosted();
    const peer = randomAddress();
    const chatGuid = `any;-;${peer}`;
    const start = Date.parse("2026-11-01T10:00:00.000Z");
    // 123 messages: more than one forward page, and two share a timestamp (the cursor keeps both).
    const texts = Array.from({ length: 123 }, (_, i) => `m${String(i).padStart(3, "0")}`);
    for (const [i, text] of texts.entries()) {
      const at = start + (i === 61 ? 60 : i) * 1000;
      await sim.inbound(buildEnvelope({ chatGuid, sender: peer, text, timestamp: new Date(at).toISOString() }));
    }
    const seen: string[] = [];
    for await (const message of w.chat.thread(`imessage:${chatGuid}`).allMessages) seen.push(message.text);
    expect(seen).toHaveLength(texts.length);
    expect(new Set(seen)).toEqual(new Set(texts));
    const dates = seen.map((text) => texts.indexOf(text)).map((i) => (i === 61 ? 60 : i));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
  });

  it("messages that share a millisecond keep the server's order in a backward page (not their GUIDs')", async () => {
    const w = await selfHosted();
    const peer = randomAddress();
    const chatGuid = `any;-;${peer}`;
    const at = new Date(Date.UTC(2026, 10, 3, 9, 0, 0)).toISOString();
    const texts = ["s0", "s1", "s2", "s3", "s4", "s5"];
    for (const text of texts) await sim.inbound(buildEnvelope({ chatGuid, sender: peer, text, timestamp: at }));
    const page = await w.adapter.fetchMessages(`imessage:${chatGuid}`, { limit: 10 });
    expect(page.messages.map((m) => m.text)).toEqual(texts);
  });

  it("fetchMessages forward and backward return the same messages, each page oldest first", async () => {
    const w = await selfHosted();
    const peer = randomAddress();
    const chatGuid = `any;-;${peer}`;
    const threadId = `imessage:${chatGuid}`;
    for (let i = 0; i < 7; i++) {
      await sim.inbound(buildEnvelope({ chatGuid, sender: peer, text: `h${i}`, timestamp: new Date(Date.UTC(2026, 10, 2, 9, 0, i)).toISOString() }));
    }
    const forward: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await w.adapter.fetchMessages(threadId, { direction: "forward", limit: 3, cursor });
      forward.push(...page.messages.map((m) => m.text));
      cursor = page.nextCursor;
    } while (cursor);
    expect(forward).toEqual(["h0", "h1", "h2", "h3", "h4", "h5", "h6"]);

    const backward: string[][] = [];
    cursor = undefined;
    do {
      const page = await w.adapter.fetchMessages(threadId, { limit: 3, cursor });
      backward.push(page.messages.map((m) => m.text));
      cursor = page.nextCursor;
    } while (cursor);
    expect(backward).toEqual([["h4", "h5", "h6"], ["h1", "h2", "h3"], ["h0"]]);
    await expect(w.adapter.fetchMessages(threadId, { direction: "forward", cursor: "not-a-cursor" })).rejects.toThrow(/not a forward cursor/);
  });
});

/**
 * A bot whose mention handler is `handler` (it throws on its first run), and one DM delivered to it
 * twice, as the ledger retries a failed delivery; resolves once both runs ended.
 */
async function failingFirstRun(
  handler: (thread: Thread, message: Message, chat: Chat) => Promise<void>,
  afterFirst: () => Promise<void> = async () => {},
): Promise<{ messageGuid: string; runs: () => number }> {
  const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
  let runs = 0;
  chat.onNewMention(async (thread, message) => {
    runs++;
    await handler(thread, message, chat);
    if (runs === 1) throw new Error("the handler fails after its write");
  });
  await chat.initialize();
  const body = withFreshId(fixture("dm-text"));
  await sim.inbound(JSON.parse(body));
  for (let attempt = 0; attempt < 2; attempt++) {
    const tasks: Promise<unknown>[] = [];
    await chat.webhooks.imessage(await signedRequest(body), { waitUntil: (t) => void tasks.push(t) });
    await Promise.allSettled(tasks);
    if (attempt === 0) await afterFirst();
  }
  return { messageGuid: (JSON.parse(body) as { message: { id: string } }).message.id, runs: () => runs };
}

describe("idempotency keys across conversations", () => {
  it("a DM the handler sends before it throws is not sent again when the delivery is retried", async () => {
    const peer = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
    const { runs } = await failingFirstRun(async (thread, _message, chat) => {
      const dm = await (thread.adapter as ReturnType<typeof createiMessageAdapter>).openDM(peer);
      await chat.thread(dm).post("a note for the team");
    });
    expect(runs()).toBe(2);
    const { delivered } = await sim.sends({ chatPrefix: `any;-;${peer}` });
    expect(delivered.map((m) => m.text)).toEqual(["a note for the team"]);
    // Both attempts sent the DM with one idempotency key, so the server kept one message.
    const sends = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => (r.body as { chatGuid?: string }).chatGuid === `any;-;${peer}`);
    const keys = sends.map((r) => (r.body as { clientMessageId: string }).clientMessageId);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
  });

  it("a tapback the handler adds before it throws is not added again when the delivery is retried", async () => {
    const { runs, messageGuid } = await failingFirstRun(async (thread, message) => {
      await thread.adapter.addReaction(thread.id, message.id, "👀");
    });
    expect(runs()).toBe(2);
    const calls = (await sim.requests({ path: "/v1/messages:setReaction" })).filter(
      (r) => (r.body as { target?: { messageGuid?: string } }).target?.messageGuid === messageGuid,
    );
    expect(calls).toHaveLength(2);
    expect(new Set(calls.map((r) => (r.body as { clientMessageId: string }).clientMessageId)).size).toBe(1);
    const tapbacks = (await sim.state()).messages.filter((m) => m.reactionTargetGuid === messageGuid);
    expect(tapbacks).toHaveLength(1);
  });

  it("an edit the handler makes before it throws is not applied again when the delivery is retried", async () => {
    const draft = `draft ${crypto.randomUUID().slice(0, 8)}`;
    const edited = () => sim.state().then((state) => state.messages.find((m) => m.content.text === `${draft} final`));
    let firstEdit: string | undefined;
    const { runs } = await failingFirstRun(
      async (thread) => {
        const sent = await thread.post(draft);
        await thread.adapter.editMessage(thread.id, sent.id, `${draft} final`);
      },
      async () => {
        firstEdit = (await edited())?.dateEdited;
      },
    );
    expect(runs()).toBe(2);
    expect(firstEdit).toBeDefined();
    expect((await edited())?.dateEdited).toBe(firstEdit);
  });
});
