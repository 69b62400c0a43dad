/**
 * Relay WebSocket: authentication, events in and acks out, duplicates, invalid envelopes, and
 * hibernation of the gateway Durable Object between events.
 */
import { createExecutionContext, evictDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { gatewayStub } from "../src/durable-objects/gateway.ts";
import { createWorkerApp } from "../src/worker/app.ts";
import { createDemoBot } from "../demo/bot.ts";
import { fixture } from "./helpers.ts";
import { simulatorClient } from "./simulator/client.ts";

const sim = simulatorClient((env as unknown as { SIMULATOR_URL: string }).SIMULATOR_URL);
const app = createWorkerApp(createDemoBot);

async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(url, { headers: { upgrade: "websocket", ...headers } }), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A connected relay client that collects the gateway's replies. */
async function connect(query = "?secret=relay_test_secret_0123", headers: Record<string, string> = {}) {
  const response = await get(`https://bot.example/api/imessage/relay${query}`, headers);
  expect(response.status).toBe(101);
  const socket = response.webSocket as WebSocket;
  socket.accept();
  const replies: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  socket.addEventListener("message", (event) => {
    replies.push(JSON.parse(event.data as string) as Record<string, unknown>);
    waiters.splice(0).forEach((wake) => wake());
  });
  const replyFor = async (id: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = replies.find((r) => r.id === id);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no reply for ${id}; got ${JSON.stringify(replies)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { socket, replies, replyFor };
}

/** A DM envelope the demo bot answers with "You said: <text>". */
function dmEvent(text: string) {
  const envelope = JSON.parse(fixture("dm-text")) as { message: { id: string; content: { text: string } } };
  envelope.message.id = `relay-msg-${crypto.randomUUID()}`;
  envelope.message.content.text = text;
  return { type: "event", id: `evt-${crypto.randomUUID()}`, envelope };
}

/** Waits until the demo bot's answer to `text` went out (the ledger runs the event after the ack) and counts them. */
async function answeredOnce(text: string, since: number): Promise<void> {
  await vi.waitFor(async () => expect(await answersTo(text, since)).toBe(1), { timeout: 10_000, interval: 100 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await answersTo(text, since)).toBe(1);
}

async function answersTo(text: string, since: number): Promise<number> {
  const sends = await sim.requests({ path: "/v1/messages:sendText", since });
  return sends.filter((s) => (s.body as { text?: string } | undefined)?.text === `You said: ${text}`).length;
}

describe("relay authentication", () => {
  it("401 without or with a wrong secret; bearer header and ?secret= both work", async () => {
    expect((await get("https://bot.example/api/imessage/relay")).status).toBe(401);
    expect((await get("https://bot.example/api/imessage/relay?secret=nope")).status).toBe(401);
    expect((await get("https://bot.example/api/imessage/relay", { authorization: "Bearer nope" })).status).toBe(401);
    const viaHeader = await connect("", { authorization: "Bearer relay_test_secret_0123" });
    viaHeader.socket.close(1000, "done");
  });

  it("426 when the request is not a WebSocket upgrade", async () => {
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request("https://bot.example/api/imessage/relay?secret=relay_test_secret_0123"), env, ctx);
    expect(response.status).toBe(426);
  });
});

describe("relay events", () => {
  it("routes an event through the bot and acks it; a retried event is acked as duplicate and not handled again", async () => {
    const relay = await connect();
    const since = await sim.mark();
    const text = `relayed ${crypto.randomUUID()}`;
    const event = dmEvent(text);
    relay.socket.send(JSON.stringify(event));
    expect(await relay.replyFor(event.id)).toEqual({ type: "ack", id: event.id });
    await answeredOnce(text, since);

    relay.replies.length = 0;
    relay.socket.send(JSON.stringify(event));
    expect(await relay.replyFor(event.id)).toEqual({ type: "ack", id: event.id, duplicate: true });
    await answeredOnce(text, since);
    relay.socket.close(1000, "done");
  });

  it("nacks an invalid envelope with the reason", async () => {
    const relay = await connect();
    relay.socket.send(JSON.stringify({ type: "event", id: "bad-1", envelope: { event: "messages", message: { id: 42 } } }));
    expect(await relay.replyFor("bad-1")).toMatchObject({ type: "nack", id: "bad-1", error: expect.stringContaining("not a Spectrum message envelope") });
    relay.socket.close(1000, "done");
  });

  it("nacks a frame that fails the relay schema with what is wrong", async () => {
    const relay = await connect();
    relay.socket.send(JSON.stringify({ type: "bogus", id: "bad-2" }));
    expect(await relay.replyFor("bad-2")).toMatchObject({ type: "nack", error: expect.stringContaining('unknown frame type "bogus"') });
    relay.socket.send(JSON.stringify({ type: "event", id: "", envelope: {} }));
    expect(await relay.replyFor("")).toMatchObject({ type: "nack", error: expect.stringContaining("non-empty string id") });
    relay.socket.close(1000, "done");
  });

  it("keeps routing after the Durable Object hibernates", async () => {
    const relay = await connect();
    const since = await sim.mark();
    const before = dmEvent(`before hibernation ${crypto.randomUUID()}`);
    relay.socket.send(JSON.stringify(before));
    expect(await relay.replyFor(before.id)).toMatchObject({ type: "ack" });

    await evictDurableObject(gatewayStub(env.GATEWAY), { webSockets: "hibernate" });

    const text = `after hibernation ${crypto.randomUUID()}`;
    const after = dmEvent(text);
    relay.socket.send(JSON.stringify(after));
    expect(await relay.replyFor(after.id)).toEqual({ type: "ack", id: after.id });
    await answeredOnce(text, since);
    relay.socket.close(1000, "done");
    // Eviction waits (about 15 s in workerd) for the object's in-flight work after a routed event to drain.
  }, 40_000);
});
