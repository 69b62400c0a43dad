/**
 * The Spectrum simulator, driven from workerd by the real `createHttpClient`: idempotency, fault switches, the webhook deliverer, and the handler without node:http.
 *
 * Suites may share the simulator concurrently: these tests use their own
 * project, their own tokens (faults are scoped to them) and `since` marks,
 * never a global reset.
 */
import { ConnectionError } from "@photon-ai/advanced-imessage/http";
import { verifySpectrumSignature } from "@spectrum-ts/core/webhook";
import { beforeAll, describe, expect, it } from "vitest";
import { createSimulator } from "./simulator/app.ts";
import { buildEnvelope, signSpectrumWebhook } from "./simulator/client.ts";
import { client, DEMO_GROUP, issueToken, rejection, sim, SIM_URL, suiteToken } from "./simulator-suite.ts";

let token = "";

beforeAll(async () => {
  token = await suiteToken();
});

describe("idempotency and fault switches", () => {
  it("replays the first answer for a repeated x-idempotency-key without sending twice", async () => {
    const key = crypto.randomUUID();
    const send = (): Promise<Response> =>
      fetch(`${SIM_URL}/v1/messages:sendText`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-idempotency-key": key },
        body: JSON.stringify({ chatGuid: DEMO_GROUP, text: `once ${key}` }),
      });
    const first = (await (await send()).json()) as { message: { guid: string } };
    const second = (await (await send()).json()) as { message: { guid: string } };
    expect(second.message.guid).toBe(first.message.guid);
    const state = await sim.state();
    expect(state.messages.filter((m) => m.content.text === `once ${key}`)).toHaveLength(1);
    const entries = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => r.headers["x-idempotency-key"] === key);
    expect(entries.map((e) => e.idempotentReplay ?? false)).toEqual([false, true]);
  });

  it("a 429 with Retry-After is retried by the client with the same idempotency key", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 429, retryAfter: 1, times: 1 });
    const started = Date.now();
    const text = `after rate limit ${crypto.randomUUID()}`;
    const message = await client(own, { retry: { maxAttempts: 3, initialDelay: 10, maxDelay: 50 } }).messages.sendText(DEMO_GROUP, text);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(message.content.text).toBe(text);
    const attempts = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => r.headers.authorization === `Bearer ${own}`);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(attempts[0]?.faulted).toBe(true);
    expect(attempts[1]?.headers["x-idempotency-key"]).toBe(attempts[0]?.headers["x-idempotency-key"]);
    expect((await sim.state()).messages.filter((m) => m.content.text === text)).toHaveLength(1);
  });

  it("a 429 without retry configured surfaces as RateLimitError with retryAfter", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 429, retryAfter: 2 });
    const error = await rejection(client(own).messages.sendText(DEMO_GROUP, "limited"));
    expect(error.name).toBe("RateLimitError");
    expect(error).toMatchObject({ retryable: true, retryAfter: 2000, grpcCode: 8 });
  });

  it("a 500 burst is not retried (internal errors are not retryable) unless marked retryable", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 500, times: 1 });
    const retrying = client(own, { retry: { maxAttempts: 4, initialDelay: 5, maxDelay: 20 } });
    const error = await rejection(retrying.messages.sendText(DEMO_GROUP, "burst"));
    expect(error).toMatchObject({ code: "internalError", grpcCode: 13, retryable: false });
    const marked = `burst ${crypto.randomUUID()}`;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 500, times: 2, retryable: true });
    expect((await retrying.messages.sendText(DEMO_GROUP, marked)).content.text).toBe(marked);
    const statuses = (await sim.requests({ path: "/v1/messages:sendText" }))
      .filter((r) => r.headers.authorization === `Bearer ${own}`)
      .map((r) => r.status);
    expect(statuses).toEqual([500, 500, 500, 200]);
  });

  it("a 503 burst is retried until it clears", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/chats:get", token: own, status: 503, times: 2 });
    const chat = await client(own, { retry: { maxAttempts: 3, initialDelay: 5, maxDelay: 20 } }).chats.get(DEMO_GROUP);
    expect(chat.guid).toBe(DEMO_GROUP);
  });

  it("a delay longer than the client's timeout is a ConnectionError with code timeout", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/chats:get", token: own, delayMs: 1_500 });
    const error = await rejection(client(own, { timeout: 300 }).chats.get(DEMO_GROUP));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe("timeout");
  });

  it("a dropped connection is a ConnectionError with code networkError", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, drop: true });
    const error = await rejection(client(own).messages.sendText(DEMO_GROUP, "into the void"));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe("networkError");
    const [entry] = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => r.headers.authorization === `Bearer ${own}`);
    expect(entry).toMatchObject({ dropped: true, status: 0 });
  });
});

describe("webhook deliverer", () => {
  it("signs like Spectrum (known vector)", async () => {
    expect(await signSpectrumWebhook("whsec_test", 1763658245, '{"a":1}')).toBe(
      "v0=27316fa37792559ed5afae7e9e914a35d6e7d51d10c526cd287d8619c8bf628a",
    );
  });

  it("builds envelopes shaped like the fixtures", () => {
    const envelope = buildEnvelope({ chatGuid: "any;-;+15551234567", sender: "+15551234567", text: "hey", messageId: "m1", timestamp: "2026-11-20T17:04:05.123Z" });
    expect(envelope).toEqual({
      event: "messages",
      space: { id: "any;-;+15551234567", platform: "imessage", type: "dm", phone: "shared" },
      message: {
        id: "m1",
        platform: "imessage",
        direction: "inbound",
        timestamp: "2026-11-20T17:04:05.123Z",
        sender: { id: "+15551234567", platform: "imessage" },
        space: { id: "any;-;+15551234567", platform: "imessage", type: "dm", phone: "shared" },
        content: { type: "text", text: "hey" },
      },
    });
    expect(buildEnvelope({ chatGuid: DEMO_GROUP, sender: "a@b.c", content: { type: "reaction", emoji: "❤️", target: { id: "x" } } }).space?.type).toBe("group");
  });

  it("delivers signed bodies that @spectrum-ts/core verifies, logs them and stores the inbound message", async () => {
    const envelope = buildEnvelope({ chatGuid: "any;-;+15551234567", sender: "+15551234567", text: "ping from a human" });
    const result = await sim.deliver({ url: `${SIM_URL}/__sim/echo`, secret: "whsec_test", envelope, webhookId: `wh_${crypto.randomUUID()}` });
    expect(result.status).toBe(200);
    const echoed = JSON.parse(result.body) as { headers: Record<string, string>; body: string };
    expect(echoed.body).toBe(JSON.stringify(envelope));
    expect(echoed.headers).toMatchObject({
      "x-spectrum-event": "messages",
      "x-spectrum-webhook-id": result.webhookId,
      "x-spectrum-timestamp": String(result.timestamp),
      "user-agent": "spectrum-webhook/1.0",
      "content-type": "application/json",
    });
    const verdict = await verifySpectrumSignature({ headers: echoed.headers, rawBody: new TextEncoder().encode(echoed.body), secret: "whsec_test" });
    expect(verdict).toMatchObject({ ok: true });

    expect((await sim.deliveries()).some((d) => d.webhookId === result.webhookId && d.status === 200)).toBe(true);
    const events = await sim.events();
    expect(events.some((e) => e.type === "webhook.delivered" && e.delivery.webhookId === result.webhookId)).toBe(true);

    const messageId = envelope.message?.id ?? "";
    const inbound = await client(token).messages.get(messageId);
    expect(inbound).toMatchObject({ isFromMe: false, sender: { address: "+15551234567" }, content: { text: "ping from a human" } });
    const tapback = await client(token).messages.setReaction("any;-;+15551234567", messageId, { kind: "laugh" }, true);
    expect(tapback.reactionTargetGuid).toBe(messageId);
  });

  it("reports an unreachable endpoint as status 0", async () => {
    const result = await sim.deliver({ url: "http://127.0.0.1:1/webhook", secret: "s", envelope: "{}" });
    expect(result.status).toBe(0);
  });
});

describe("the request handler without node:http", () => {
  it("runs inside workerd and resets to the seeded world", async () => {
    const local = createSimulator();
    const call = (path: string, init: RequestInit = {}): Promise<Response> =>
      local.fetch(new Request(`http://sim${path}`, { ...init, headers: { authorization: "Bearer sim_api_key", "content-type": "application/json", ...init.headers } }));
    const sent = await call("/v1/messages:sendText", { method: "POST", body: JSON.stringify({ chatGuid: DEMO_GROUP, text: "local" }) });
    expect(sent.status).toBe(200);
    expect(local.world().messages.size).toBe(1);
    expect(local.recorder.list()).toHaveLength(1);
    const reset = await local.fetch(new Request("http://sim/__sim/reset", { method: "POST" }));
    expect(reset.status).toBe(200);
    expect(local.world().messages.size).toBe(0);
    expect(local.recorder.list()).toHaveLength(0);
    expect(local.world().chats.has(DEMO_GROUP)).toBe(true);
    const unknownRoute = await call("/v1/messages:teleport", { method: "POST", body: "{}" });
    expect(unknownRoute.status).toBe(501);
  });
});
