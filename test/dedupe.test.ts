/**
 * Durable, exactly-once handling: the webhook records each delivery in its conversation's ledger
 * Durable Object (one request) and answers 200; the ledger runs the demo bot to completion on its
 * alarm, resumes a run that died, retries with backoff and keeps what fails for good.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { deliveryKeyOf, ledgerNameOf } from "../src/ledger/keys.ts";
import { createMemoryLedger } from "../src/ledger/ledger.ts";
import { createDemoBot } from "../demo/bot.ts";
import worker, { DeliveryLedger } from "../demo/index.ts";
import type { VerifiedDelivery } from "../src/webhook/receive.ts";
import { createRecordingBot, inOwnDm, seedInbound, signedRequest, through } from "./helpers.ts";
import { delivered, knownDm, sim, waitForReplies } from "./outbound-helpers.ts";

const settle = (ms = 800) => new Promise((resolve) => setTimeout(resolve, ms));

function ledgerOf(chatGuid: string) {
  return Promise.resolve(env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(ledgerNameOf(chatGuid))));
}

describe("durable execution in the conversation's ledger", () => {
  it("50 concurrent copies, under two webhook registrations, are all answered 200 and handled once", async () => {
    const dm = await knownDm();
    const requests = await Promise.all(
      Array.from({ length: 50 }, (_, i) => signedRequest(dm.body, { webhookId: i % 2 ? "wh_registration_a" : "wh_registration_b" })),
    );
    const responses = await Promise.all(requests.map((request) => through(worker, request)));
    const statuses = await Promise.all(responses.map(async (r) => `${r.status}:${((await r.json()) as { status: string }).status}`));
    expect(statuses.filter((s) => s === "200:accepted")).toHaveLength(1);
    expect(statuses.every((s) => ["200:accepted", "200:in-flight", "200:duplicate"].includes(s))).toBe(true);
    expect(await waitForReplies(dm.chatGuid)).toEqual([dm.reply]);
    await settle();
    expect(await delivered(dm.chatGuid)).toHaveLength(1);
    const late = await through(worker, await signedRequest(dm.body, { webhookId: "wh_registration_c" }));
    expect(await late.json()).toMatchObject({ status: "duplicate" });
  });

  it("acknowledges before any handler work: the reply is sent by the ledger's alarm, after the 200", async () => {
    const dm = await knownDm();
    const response = await worker.fetch(await signedRequest(dm.body), env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
    expect(await response.json()).toMatchObject({ status: "accepted" });
    // No waitUntil work was kept, yet the message is handled: the ledger runs it, not the request.
    expect(await waitForReplies(dm.chatGuid)).toEqual([dm.reply]);
  });

  it("a delivery whose run died mid-handler (isolate gone, only its watchdog alarm left) is resumed and answered once", async () => {
    const dm = await knownDm();
    const envelope = JSON.parse(dm.body);
    const delivery: VerifiedDelivery = { envelope, messageId: dm.messageId, webhookId: "wh_died", scheme: "spectrum" };
    const key = await deliveryKeyOf(dm.messageId);
    const stub = await ledgerOf(dm.chatGuid);
    await runInDurableObject(stub, async (instance: InstanceType<typeof DeliveryLedger>, state) => {
      instance.store.accept(key, delivery, Date.now());
      instance.store.start(key, Date.now());
      await state.storage.setAlarm(Date.now() + 300);
    });
    expect(await waitForReplies(dm.chatGuid)).toEqual([dm.reply]);
    await vi.waitFor(async () => expect(await stub.inspect(key)).toMatchObject({ state: "done", attempts: 2 }), { timeout: 5000 });
    const copy = await through(worker, await signedRequest(dm.body));
    expect(await copy.json()).toMatchObject({ status: "duplicate" });
  });

  it("a delivery whose every attempt was cut off by the isolate dying becomes a dead letter instead of looping", async () => {
    const dm = await knownDm();
    const delivery: VerifiedDelivery = { envelope: JSON.parse(dm.body), messageId: dm.messageId, webhookId: "wh_crashing", scheme: "spectrum" };
    const key = await deliveryKeyOf(dm.messageId);
    const stub = await ledgerOf(dm.chatGuid);
    await runInDurableObject(stub, async (instance: InstanceType<typeof DeliveryLedger>, state) => {
      instance.store.accept(key, delivery, Date.now());
      for (let i = 0; i < 6; i++) instance.store.start(key, Date.now());
      await state.storage.setAlarm(Date.now() + 200);
    });
    await vi.waitFor(async () => expect(await stub.inspect(key)).toMatchObject({ state: "dead", attempts: 6, lastError: expect.stringMatching(/Interrupted/) }), {
      timeout: 5000,
    });
    expect(await delivered(dm.chatGuid)).toEqual([]);
  });

  it("a second attempt of a delivery whose first already sent (response lost) sends nothing new: same idempotency keys", async () => {
    const dm = await knownDm();
    const bot = createDemoBot(env);
    await bot.initialize();
    const adapter = bot.getAdapter("imessage");
    const delivery = { envelope: JSON.parse(dm.body) };
    const key = await deliveryKeyOf(dm.messageId);
    await adapter.runDelivery(delivery, { key, attempt: 1 });
    await adapter.runDelivery(delivery, { key, attempt: 2 });
    const { attempts } = await sim.sends({ chatPrefix: dm.chatGuid });
    expect(attempts.filter((a) => a.path === "/v1/messages:sendText")).toHaveLength(2);
    expect(await delivered(dm.chatGuid)).toEqual([dm.reply]);
  });

  it("a delivery that fails for good becomes a dead letter; the route lists it and a replay answers it once", async () => {
    const dm = await knownDm();
    // The server refuses this chat's sends as invalid: a permanent failure, no retry can fix it.
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: dm.chatGuid, status: 400, times: 1 });
    await through(worker, await signedRequest(dm.body));
    const auth = { authorization: `Bearer ${env.CRON_SECRET}` };
    const key = await deliveryKeyOf(dm.messageId);
    const listed = await vi.waitFor(
      async () => {
        const response = await through(worker, new Request("https://bot.example/api/imessage/dead-letters", { headers: auth }));
        const body = (await response.json()) as { deadLetters: { key: string; attempts: number; error: string }[] };
        const letter = body.deadLetters.find((l) => l.key === key);
        if (!letter) throw new Error("not a dead letter yet");
        return letter;
      },
      { timeout: 15_000, interval: 150 },
    );
    expect(listed).toMatchObject({ key, attempts: 1, error: expect.stringMatching(/Validation/) });
    expect(await delivered(dm.chatGuid)).toEqual([]);
    const copy = await through(worker, await signedRequest(dm.body));
    expect(await copy.json()).toMatchObject({ status: "dead-letter" });

    const replay = await through(
      worker,
      new Request("https://bot.example/api/imessage/dead-letters", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ key }) }),
    );
    expect(await replay.json()).toMatchObject({ status: "replayed", key });
    expect(await waitForReplies(dm.chatGuid)).toEqual([dm.reply]);
    const unknown = await through(
      worker,
      new Request("https://bot.example/api/imessage/dead-letters", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ key }) }),
    );
    expect(unknown.status).toBe(404);
    const unauthorized = await through(worker, new Request("https://bot.example/api/imessage/dead-letters"));
    expect(unauthorized.status).toBe(401);
  });

  it("a message that also arrives by the relay or a catch-up is handled once, whichever channel came first", async () => {
    const dm = await knownDm();
    await through(worker, await signedRequest(dm.body));
    const bot = createDemoBot(env);
    await bot.initialize();
    const envelope = JSON.parse(dm.body);
    for (const channel of ["relay", "catch-up"] as const) {
      const response = await bot.getAdapter("imessage").acceptDelivery({ envelope, messageId: dm.messageId, webhookId: channel, scheme: "spectrum", channel });
      expect(["duplicate", "in-flight"]).toContain(((await response.json()) as { status: string }).status);
    }
    await waitForReplies(dm.chatGuid);
    await settle();
    expect(await delivered(dm.chatGuid)).toHaveLength(1);
  });
});

describe("one ledger, many conversations", () => {
  /** A DM from a new address whose conversation lives in ledger `name`. */
  async function knownDmIn(name: string, text: string) {
    for (;;) {
      const dm = await knownDm(text);
      if (ledgerNameOf(dm.chatGuid) === name) return dm;
    }
  }

  it("runs conversations that share a ledger side by side: a slow send in one does not hold up another", async () => {
    const slow = await knownDm(`slow ${crypto.randomUUID().slice(0, 8)}`);
    const quick = await knownDmIn(ledgerNameOf(slow.chatGuid), `quick ${crypto.randomUUID().slice(0, 8)}`);
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: slow.chatGuid, delayMs: 3000, times: 1 });
    await through(worker, await signedRequest(slow.body));
    await through(worker, await signedRequest(quick.body));
    expect(await waitForReplies(quick.chatGuid)).toEqual([quick.reply]);
    expect(await delivered(slow.chatGuid)).toEqual([]);
    expect(await waitForReplies(slow.chatGuid)).toEqual([slow.reply]);
  });

  it("a retry that falls due while another conversation's handler is still running starts on time", async () => {
    const slow = await knownDm(`slow ${crypto.randomUUID().slice(0, 8)}`);
    const failing = await knownDmIn(ledgerNameOf(slow.chatGuid), `failing ${crypto.randomUUID().slice(0, 8)}`);
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: slow.chatGuid, delayMs: 8000, times: 1 });
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: failing.chatGuid, status: 503, times: 4 });
    await through(worker, await signedRequest(slow.body));
    await through(worker, await signedRequest(failing.body));
    expect(await waitForReplies(failing.chatGuid)).toEqual([failing.reply]);
    expect(await delivered(slow.chatGuid)).toEqual([]);
    expect(await waitForReplies(slow.chatGuid)).toEqual([slow.reply]);
  });

  it("runs one conversation's deliveries one at a time, in arrival order, even when the first is slow", async () => {
    const first = await knownDm(`first ${crypto.randomUUID().slice(0, 8)}`);
    const envelope = JSON.parse(first.body);
    envelope.message.id = crypto.randomUUID();
    envelope.message.content = { type: "text", text: "second" };
    const second = JSON.stringify(envelope);
    await seedInbound(env.SIMULATOR_URL, second);
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: first.chatGuid, delayMs: 1500, times: 1 });
    await through(worker, await signedRequest(first.body));
    await through(worker, await signedRequest(second));
    expect(await waitForReplies(first.chatGuid, 2)).toEqual([first.reply, "You said: second"]);
  });
});

describe("in-process ledger (Node, one process)", () => {
  it("50 concurrent copies run the handler once; a failed run is forgotten so the sender's retry runs it", async () => {
    const bot = createRecordingBot({ handlerDelayMs: 20 });
    const dm = inOwnDm("dm-text");
    const responses = await Promise.all(Array.from({ length: 50 }, async () => await bot.send(await signedRequest(dm.body))));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(bot.runs).toHaveLength(1);

    const other = inOwnDm("tapback-reaction");
    bot.failures.remaining = 1;
    await bot.send(await signedRequest(other.body));
    expect(bot.runs).toHaveLength(1);
    const retry = await bot.send(await signedRequest(other.body));
    expect(await retry.json()).toMatchObject({ status: "accepted" });
    expect(bot.runs).toHaveLength(2);
  });

  it("remembers at most `capacity` keys", async () => {
    const ledger = createMemoryLedger(3);
    const delivery = {} as VerifiedDelivery;
    for (const key of ["a", "b", "c", "d"]) {
      expect(await ledger.accept(delivery, key)).toBe("accepted");
      await ledger.settle(key, "done");
    }
    expect(await ledger.accept(delivery, "d")).toBe("duplicate");
    expect(await ledger.accept(delivery, "a")).toBe("accepted");
  });
});
