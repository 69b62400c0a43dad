import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDurableLedger } from "../src/dedupe/durable-ledger.ts";
import { deliveryKey } from "../src/dedupe/ledger.ts";
import { createRecordingBot, fixture, signedRequest, withFreshId } from "./helpers.ts";

describe("exactly-once handling of at-least-once deliveries", () => {
  it("50 concurrent copies of one delivery run the handler once", async () => {
    const bot = createRecordingBot({ handlerDelayMs: 30 });
    const body = withFreshId(fixture("dm-text"));
    const requests = await Promise.all(
      Array.from({ length: 50 }, () => signedRequest(body, { webhookId: "wh_concurrent" })),
    );
    const responses = await Promise.all(requests.map((request) => bot.send(request)));
    const verdicts = await Promise.all(responses.map(async (r) => `${r.status}:${((await r.json()) as { status: string }).status}`));
    expect(bot.runs).toHaveLength(1);
    expect(verdicts.filter((v) => v === "200:accepted")).toHaveLength(1);
    expect(verdicts.every((v) => ["200:accepted", "200:duplicate", "409:in-flight"].includes(v))).toBe(true);
    // Once done, every later copy is acknowledged as a duplicate and skipped.
    const late = await bot.send(await signedRequest(body, { webhookId: "wh_concurrent" }));
    expect(await late.json()).toMatchObject({ status: "duplicate" });
    expect(bot.runs).toHaveLength(1);
  });

  it("a copy arriving while the first is still processing gets 409 with Retry-After", async () => {
    const bot = createRecordingBot({ handlerDelayMs: 200 });
    const body = withFreshId(fixture("dm-text"));
    const first = bot.send(await signedRequest(body, { webhookId: "wh_inflight" }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await bot.send(await signedRequest(body, { webhookId: "wh_inflight" }));
    expect(second.status).toBe(409);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await second.json()) as { error: string }).error).toMatch(/retry later/);
    expect((await first).status).toBe(200);
    expect(bot.runs).toHaveLength(1);
  });

  it("a failed handler releases the claim: Spectrum's retry of the delivery is processed", async () => {
    const bot = createRecordingBot();
    const body = withFreshId(fixture("tapback-reaction"));
    bot.failures.remaining = 1;
    const first = await bot.send(await signedRequest(body, { webhookId: "wh_retry" }));
    expect(first.status).toBe(200);
    expect(bot.runs).toHaveLength(0);

    const retry = await bot.send(await signedRequest(body, { webhookId: "wh_retry" }));
    expect(await retry.json()).toMatchObject({ status: "accepted" });
    expect(bot.runs).toHaveLength(1);

    const again = await bot.send(await signedRequest(body, { webhookId: "wh_retry" }));
    expect(await again.json()).toMatchObject({ status: "duplicate" });
    expect(bot.runs).toHaveLength(1);
  });

  it("a handler running longer than the lease keeps its claim: a copy meanwhile is in-flight, not run again", async () => {
    const bot = createRecordingBot({ handlerDelayMs: 1200, leaseMs: 1000 });
    const body = withFreshId(fixture("dm-text"));
    const first = bot.send(await signedRequest(body, { webhookId: "wh_long" }));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const copy = await bot.send(await signedRequest(body, { webhookId: "wh_long" }));
    expect(copy.status).toBe(409);
    await first;
    expect(bot.runs).toHaveLength(1);
  });

  it("the same message under another webhook id is a different delivery", async () => {
    const bot = createRecordingBot();
    const body = withFreshId(fixture("dm-text"));
    await bot.send(await signedRequest(body, { webhookId: "wh_a" }));
    await bot.send(await signedRequest(body, { webhookId: "wh_b" }));
    expect(bot.runs).toHaveLength(2);
  });

  it("a lease that ran out (isolate died mid-processing) lets the next delivery take over", async () => {
    const ledger = createDurableLedger({ namespace: env.DELIVERY_LEDGER, leaseMs: 50 });
    const key = deliveryKey("wh_lease", crypto.randomUUID());
    const first = await ledger.claim(key);
    expect(first.verdict).toBe("claimed");
    expect((await ledger.claim(key)).verdict).toBe("in-flight");
    await new Promise((resolve) => setTimeout(resolve, 80));
    const takeover = await ledger.claim(key);
    expect(takeover).toMatchObject({ verdict: "claimed", claim: { attempt: 2 } });
    // The dead claimant's late completion does not count: its token lost the lease.
    if (first.verdict !== "claimed" || takeover.verdict !== "claimed") throw new Error("expected claims");
    await ledger.complete(first.claim);
    expect((await ledger.claim(key)).verdict).toBe("in-flight");
    await ledger.complete(takeover.claim);
    expect((await ledger.claim(key)).verdict).toBe("duplicate");
  });

  it("finished keys are remembered in KV for at least 24 h (fast path)", async () => {
    const ledger = createDurableLedger({ namespace: env.DELIVERY_LEDGER, kv: env.DEDUPE_KV });
    const key = deliveryKey("wh_kv", crypto.randomUUID());
    const claim = await ledger.claim(key);
    if (claim.verdict !== "claimed") throw new Error("expected a claim");
    await ledger.complete(claim.claim);
    const stored = await env.DEDUPE_KV.getWithMetadata(`done:${key}`);
    expect(stored.value).toBe("1");
    const listed = await env.DEDUPE_KV.list({ prefix: `done:${key}` });
    expect(listed.keys[0]?.expiration).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 24 * 3600);
  });
});

describe("memory ledger (single Node process)", () => {
  it("claims once, and forgets the oldest keys past its capacity", async () => {
    const { createMemoryLedger } = await import("../src/dedupe/ledger.ts");
    const ledger = createMemoryLedger(60_000, 3);
    for (const key of ["a", "b", "c", "d"]) {
      const result = await ledger.claim(key);
      if (result.verdict === "claimed") await ledger.complete(result.claim);
    }
    expect((await ledger.claim("d")).verdict).toBe("duplicate");
    expect((await ledger.claim("a")).verdict).toBe("claimed");
  });
});

describe("one message, several channels", () => {
  it("a message handled by webhook is not handled again when the relay or a catch-up brings it", async () => {
    const bot = createRecordingBot();
    await bot.chat.initialize();
    const body = withFreshId(fixture("dm-text"));
    await bot.send(await signedRequest(body, { webhookId: "wh_channels" }));
    const envelope = JSON.parse(body);
    for (const channel of ["relay", "catch-up"] as const) {
      const response = await bot.adapter.acceptDelivery({
        envelope,
        messageId: envelope.message.id,
        webhookId: `${channel}:evt`,
        scheme: "spectrum",
        channel,
      });
      expect(await response.json()).toMatchObject({ status: "duplicate", handledBy: "webhook" });
    }
    expect(bot.runs).toHaveLength(1);
  });

  it("a message a catch-up handled first is not handled again by its late webhook", async () => {
    const bot = createRecordingBot();
    await bot.chat.initialize();
    const body = withFreshId(fixture("dm-text"));
    const envelope = JSON.parse(body);
    const first = await bot.adapter.acceptDelivery({
      envelope,
      messageId: envelope.message.id,
      webhookId: "catch-up",
      scheme: "spectrum",
      channel: "catch-up",
    });
    expect(await first.json()).toMatchObject({ status: "accepted" });
    const late = await bot.send(await signedRequest(body));
    expect(await late.json()).toMatchObject({ status: "duplicate", handledBy: "catch-up" });
    expect(bot.runs).toHaveLength(1);
  });
});
