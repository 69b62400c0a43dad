/**
 * Gateway Durable Object: persistent group spaces, the space bound, keepalive route and cron,
 * catch-up over HTTP, and startGatewayListener.
 */
import { abortAllDurableObjects, createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Chat, NotImplementedError, type Adapter } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { createMemoryLedger } from "../src/ledger/ledger.ts";
import type { iMessageAdapter } from "../src/adapter/imessage-adapter.ts";
import type { CatchUpCursor } from "../src/gateway/catch-up.ts";
import { createGatewaySpaceDirectory } from "../src/spaces/gateway-directory.ts";
import { gatewayStub } from "../src/durable-objects/gateway.ts";
import { keepalive, type CursorStore } from "../src/gateway/gateway-core.ts";
import { SpaceCache } from "../src/spaces/space-cache.ts";
import { createDurableObjectState } from "../src/state/durable-state.ts";
import { createWorkerApp } from "../src/worker/app.ts";
import { createDemoBot } from "../demo/bot.ts";
import worker from "../demo/index.ts";
import { fixture, signedRequest, through, withFreshId } from "./helpers.ts";
import { simulatorClient } from "./simulator/client.ts";

const sim = simulatorClient((env as unknown as { SIMULATOR_URL: string }).SIMULATOR_URL);
const GROUP = "any;+;chat914325730198374";

/** A fresh adapter + bot (as after a deploy or in another isolate) on the gateway's space directory. */
function coldBot() {
  const adapter = createiMessageAdapter({
    env: env as unknown as Record<string, unknown>,
    // Handlers recorded in this isolate: the in-process ledger, not the env's DELIVERY_LEDGER (which runs the demo bot).
    ledger: createMemoryLedger(),
    userName: "mybot",
    spaces: createGatewaySpaceDirectory(env.GATEWAY),
  });
  const chat = new Chat({
    userName: adapter.userName,
    adapters: { imessage: adapter as Adapter },
    state: createDurableObjectState(env.CHAT_STATE),
    logger: "silent",
  });
  const texts: string[] = [];
  chat.onNewMention(async (_thread, message) => void texts.push(message.text));
  chat.onNewMessage(/[\s\S]*/, async (_thread, message) => void texts.push(message.text));
  return { adapter, chat, texts };
}

describe("persistent group spaces", () => {
  it("a group seen on a webhook is replyable from a new adapter after the Durable Objects restart", async () => {
    const first = coldBot();
    const response = await through(createWorkerApp(() => first.chat), await signedRequest(withFreshId(fixture("group-text"))));
    expect(response.status).toBe(200);
    expect(await gatewayStub(env.GATEWAY).lookupSpace(GROUP)).toMatchObject({ chatGuid: GROUP, type: "group", phone: "+15550001111" });

    await abortAllDurableObjects();
    const cold = coldBot();
    await cold.chat.initialize();
    const since = await sim.mark();
    const text = `cold reply ${crypto.randomUUID()}`;
    await cold.adapter.postMessage(`imessage:${GROUP}`, text);

    const sends = await sim.requests({ path: "/v1/messages:sendText", since });
    expect(sends.map((s) => s.body)).toEqual([expect.objectContaining({ chatGuid: GROUP, text })]);
    // The directory answered: the adapter did not have to ask the server whether the group exists.
    expect(await sim.requests({ path: "/v1/chats:get", since })).toEqual([]);
  });

  it("an unknown group throws NotImplementedError saying it has not been seen yet", async () => {
    const { adapter, chat } = coldBot();
    await chat.initialize();
    const promise = adapter.postMessage(`imessage:any;+;chatnever${Date.now()}`, "hello?");
    await expect(promise).rejects.toBeInstanceOf(NotImplementedError);
    await expect(promise).rejects.toThrow(/has not been seen yet.*send a message there/);
  });

  it("keeps at most `limit` spaces and evicts the least recently seen", async () => {
    const stub = env.GATEWAY.get(env.GATEWAY.idFromName(`bound-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const cache = new SpaceCache(state.storage.sql, 3);
      const dm = (n: number) => ({ chatGuid: `any;-;+1555000000${n}`, type: "dm" as const, phone: undefined, displayName: undefined });
      expect(cache.record(dm(1), 1_000)).toBe(0);
      cache.record(dm(2), 2_000);
      cache.record(dm(3), 3_000);
      cache.record(dm(1), 4_000); // seen again: now the most recent
      expect(cache.record(dm(4), 5_000)).toBe(1);
      expect(cache.size()).toBe(3);
      expect(cache.lookup(dm(2).chatGuid)).toBeNull();
      expect(cache.lookup(dm(1).chatGuid)?.lastSeen).toBe(4_000);
      cache.record({ ...dm(3), phone: "+15550001111", displayName: "Team" }, 6_000);
      cache.record(dm(3), 7_000); // a sighting without phone/name keeps the known ones
      expect(cache.lookup(dm(3).chatGuid)).toMatchObject({ phone: "+15550001111", displayName: "Team", lastSeen: 7_000 });
    });
  });
});

describe("keepalive: GET /api/imessage/gateway and the cron", () => {
  const app = createWorkerApp(createDemoBot);
  const route = (authorization?: string) =>
    new Request("https://bot.example/api/imessage/gateway", { headers: authorization ? { authorization } : {} });

  it("500 when CRON_SECRET is not configured", async () => {
    const response = await through(app, route("Bearer cron_test_secret_0123"), { ...env, CRON_SECRET: undefined } as unknown as Env);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/^CRON_SECRET not configured/) });
  });

  it("401 when the bearer token is missing or wrong", async () => {
    expect((await through(app, route())).status).toBe(401);
    const wrong = await through(app, route("Bearer nope"));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: expect.stringContaining("CRON_SECRET") });
  });

  it("200 with the right token: tokens refreshed, alarm armed", async () => {
    const stub = gatewayStub(env.GATEWAY);
    await runInDurableObject(stub, async (_instance, state) => await state.storage.deleteAlarm());
    const response = await through(app, route("Bearer cron_test_secret_0123"));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", lines: ["shared"], catchUp: true, nextAlarm: expect.any(Number) });
  });

  it("the scheduled handler runs the same keepalive without HTTP", async () => {
    const stub = gatewayStub(env.GATEWAY);
    await runInDurableObject(stub, async (_instance, state) => await state.storage.deleteAlarm());
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/9 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const alarm = await runInDurableObject(stub, async (_instance, state) => await state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
  });
});

describe("catch-up over HTTP", () => {
  it("routes inbound messages created after the persisted cursor once, through the same dedupe", async () => {
    const { adapter, chat, texts } = coldBot();
    await chat.initialize();
    const stored = new Map<string, CatchUpCursor>();
    const cursors: CursorStore = { get: async (line) => stored.get(line), put: async (line, cursor) => void stored.set(line, cursor) };
    await keepalive(adapter as iMessageAdapter, cursors, { catchUp: true }); // first run: cursor = now
    await new Promise((resolve) => setTimeout(resolve, 5));

    const text = `missed while offline ${crypto.randomUUID()}`;
    const envelope = JSON.parse(withFreshId(fixture("dm-text"))) as { message: { content: { text: string }; timestamp: string } };
    envelope.message.content.text = text;
    envelope.message.timestamp = new Date().toISOString();
    await sim.deliver({ url: `${sim.baseUrl}/__sim/echo`, secret: "whsec_test", envelope: JSON.stringify(envelope) });

    const report = await keepalive(adapter as iMessageAdapter, cursors, { catchUp: true });
    expect(report.caughtUp).toBeGreaterThanOrEqual(1);
    expect(texts).toContain(text);
    await keepalive(adapter as iMessageAdapter, cursors, { catchUp: true });
    expect(texts.filter((t) => t === text)).toHaveLength(1);
  });
});

describe("startGatewayListener", () => {
  it("answers listening JSON, keeps running in waitUntil and ends after durationMs", async () => {
    const { adapter, chat } = coldBot();
    await chat.initialize();
    const tasks: Promise<unknown>[] = [];
    const started = Date.now();
    const response = await adapter.startGatewayListener({ waitUntil: (task) => void tasks.push(task) }, 300);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "listening", durationMs: 300, mode: "poll", message: expect.any(String) });
    expect(tasks).toHaveLength(1);
    await Promise.all(tasks);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("stops early on the abort signal", async () => {
    const { adapter, chat } = coldBot();
    await chat.initialize();
    const tasks: Promise<unknown>[] = [];
    const abort = new AbortController();
    const started = Date.now();
    await adapter.startGatewayListener({ waitUntil: (task) => void tasks.push(task) }, 60_000, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await Promise.all(tasks);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("500 when the chat is not initialized or waitUntil is missing", async () => {
    const { adapter, chat } = coldBot();
    expect((await adapter.startGatewayListener({ waitUntil: () => undefined }, 100)).status).toBe(500);
    await chat.initialize();
    expect((await adapter.startGatewayListener({}, 100)).status).toBe(500);
  });
});

describe("cronAuth on a route of your own", () => {
  it("401 without the cron secret, 200 with it (not a 500 from the app's error handler)", async () => {
    const { createiMessageWorker } = await import("../src/worker/imessage-worker.ts");
    const { cronAuth } = await import("../src/worker/gateway-routes.ts");
    const { createDemoBot } = await import("../demo/bot.ts");
    const worker = createiMessageWorker(createDemoBot);
    worker.app.get("/api/imessage/listen", cronAuth(), (c) => c.json({ ok: true }));
    const request = (authorization?: string) =>
      new Request("https://bot.example/api/imessage/listen", { headers: authorization ? { authorization } : {} });
    expect((await through(worker.handler, request())).status).toBe(401);
    expect((await through(worker.handler, request("Bearer wrong"))).status).toBe(401);
    expect((await through(worker.handler, request(`Bearer ${env.CRON_SECRET}`))).status).toBe(200);
  });
});

describe("reconciliation cursor", () => {
  it("never moves past a message it has not handed on: more than one run's page budget is read over several runs", async () => {
    const { readSince, startCursor } = await import("../src/gateway/catch-up.ts");
    const { selfHosted } = await import("./outbound-helpers.ts");
    const w = await selfHosted();
    const client = await w.adapter.remoteTransport()!.clientFor(undefined);
    const start = Date.now() + 60_000;
    const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
    const seeded: string[] = [];
    for (let i = 0; i < 23; i++) {
      const envelope = JSON.parse(withFreshId(fixture("dm-text")));
      envelope.message.sender = { id: address };
      envelope.message.space = { ...envelope.message.space, id: `any;-;${address}` };
      envelope.message.timestamp = new Date(start + 1000 + i * 10).toISOString();
      const stored = await sim.inbound(envelope);
      seeded.push(stored.guid ?? envelope.message.id);
    }
    let cursor = startCursor(start);
    const handedOn: string[] = [];
    for (let run = 0; run < 10; run++) {
      const result = await readSince(client, cursor, { maxPages: 2, pageSize: 5 });
      handedOn.push(...result.messages.map((m) => m.guid));
      cursor = result.cursor;
      if (!cursor.backlog && result.messages.length === 0) break;
    }
    expect(new Set(handedOn.filter((guid) => seeded.includes(guid)))).toEqual(new Set(seeded));
    expect(cursor.backlog).toBeUndefined();
    expect(cursor.after).toBeGreaterThanOrEqual(start + 1000 + 22 * 10);
  });
});
