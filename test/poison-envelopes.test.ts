/**
 * Poisonous but authenticated envelopes (invalid timestamps, huge strings, deep nesting) are isolated:
 * the gateway's spectrum-ts stream, its space cache, the relay and the delivery ledgers keep serving
 * the next message, and what cannot be kept is a dead letter with its reason.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { describe, expect, it, vi } from "vitest";
import { spaceOf } from "../src/adapter/inbound/parse.ts";
import { deliveryKeyOf, ledgerNameOf } from "../src/ledger/keys.ts";
import { gatewayStub } from "../src/durable-objects/gateway.ts";
import { GatewaySpectrum } from "../src/gateway/spectrum-app.ts";
import { spectrumSource } from "../src/gateway/gateway-core.ts";
import { readyAdapter } from "../src/adapter/bot.ts";
import type { InboundRecord } from "../src/gateway/spectrum-inbound.ts";
import type { RecordInbox } from "../src/gateway/spectrum-inbox.ts";
import type { VerifiedDelivery } from "../src/webhook/receive.ts";
import { createDemoBot } from "../demo/bot.ts";
import worker, { type DeliveryLedger } from "../demo/index.ts";
import { fixture, inOwnDm, openRelay, seedInbound, signedRequest, through } from "./helpers.ts";
import { sim } from "./outbound-helpers.ts";

const gateway = () => gatewayStub(env.GATEWAY);
const HUGE = 200 * 1024;
/** An email-like sender id that makes spectrum-ts's identifier regex backtrack quadratically. */
const BACKTRACKING_ID = `x@${"a.".repeat(HUGE / 2)} `;

type Mutable = SlimEnvelope & { message: Record<string, unknown> & { space: Record<string, unknown> } } & { space?: Record<string, unknown> };

/** `depth` levels of content: replies wrapping replies around a text. */
function nested(depth: number): Record<string, unknown> {
  let content: Record<string, unknown> = { type: "text", text: "deep inside" };
  for (let level = 1; level < depth; level++) content = { type: "reply", content, target: { id: `t${level}` } };
  return content;
}

/** The poisons, each applied to a fresh copy of `base` (fresh message id). */
const POISONS: [string, (e: Mutable) => void][] = [
  ["timestamp not-a-date", (e) => void (e.message.timestamp = "not-a-date")],
  ["timestamp out of range", (e) => void (e.message.timestamp = "2026-13-45T99:99:99Z")],
  ["200 KB sender id", (e) => void (e.message.sender = { id: "s".repeat(HUGE) })],
  ["200 KB backtracking sender id", (e) => void (e.message.sender = { id: BACKTRACKING_ID })],
  ["200 KB space displayName", (e) => {
    e.message.space.displayName = "n".repeat(HUGE);
    if (e.space) e.space.displayName = "n".repeat(HUGE);
  }],
  ["30-level nested content", (e) => void (e.message.content = nested(30) as never)],
  ["reaction with a bad target timestamp", (e) => void (e.message.content = { type: "reaction", emoji: "👍", target: { id: "x", timestamp: "soon" } } as never)],
];

function poisoned(base: string): { name: string; body: string; id: string }[] {
  return POISONS.map(([name, poison]) => {
    const envelope = JSON.parse(base) as Mutable;
    envelope.message.id = `poison-${crypto.randomUUID()}`;
    envelope.message.content = { type: "text", text: `poison: ${name}` } as never;
    poison(envelope);
    return { name, body: JSON.stringify(envelope), id: envelope.message.id };
  });
}

function groupEnvelope(text: string): SlimEnvelope {
  const envelope = JSON.parse(fixture("group-text")) as Mutable;
  envelope.message.id = `normal-${crypto.randomUUID()}`;
  envelope.message.content = { type: "text", text } as never;
  return envelope;
}

async function streamedOnce(messageId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const { events } = await gateway().spectrumStatus();
      expect(events.filter((e) => e.id === messageId)).toHaveLength(1);
    },
    { timeout: 15_000, interval: 100 },
  );
}

describe("the gateway's spectrum-ts stream after poisonous envelopes", () => {
  it("streams the next normal message once, whatever came before it", { timeout: 30_000 }, async () => {
    for (const poison of poisoned(fixture("group-text"))) {
      const envelope = JSON.parse(poison.body) as SlimEnvelope;
      const started = Date.now();
      await gateway().recordSpace(spaceOf(envelope), envelope);
      expect(Date.now() - started, poison.name).toBeLessThan(2_000);
    }
    const normal = groupEnvelope(`after the poison ${crypto.randomUUID()}`);
    await gateway().recordSpace(spaceOf(normal), normal);
    await streamedOnce(normal.message.id);
    const { events } = await gateway().spectrumStatus();
    const bad = events.find((e) => e.id.startsWith("poison-") && e.timestamp !== undefined && Number.isNaN(Date.parse(e.timestamp)));
    expect(bad).toBeUndefined();
  });

  it("a space too big to keep is kept bounded; recordSpace never throws for it", async () => {
    const envelope = groupEnvelope("bounded space") as Mutable;
    const chatGuid = `any;+;chat-big-${crypto.randomUUID()}`;
    envelope.message.space = { ...envelope.message.space, id: chatGuid, displayName: "n".repeat(3 * 1024 * 1024) };
    await gateway().recordSpace(spaceOf(envelope), envelope);
    const record = await gateway().lookupSpace(chatGuid);
    expect(record).toMatchObject({ chatGuid, type: "group" });
    expect(record?.displayName?.length).toBeLessThanOrEqual(1024);
    await streamedOnce(envelope.message.id);
  });

  it("a record spectrum-ts itself cannot build ends its stream; the next message gets a fresh app", async () => {
    await runInDurableObject(gateway(), async () => {
      const bot = createDemoBot(env);
      const spectrum = new GatewaySpectrum(async () => spectrumSource(await readyAdapter(bot)));
      const internals = spectrum as unknown as { ready(): Promise<{ inbox: RecordInbox }> };
      const { inbox } = await internals.ready();
      await inbox.push({ id: "broken", space: { id: "any;+;x", type: "group" } } as unknown as InboundRecord);
      const normal = groupEnvelope("after a broken record");
      await vi.waitFor(
        async () => {
          await spectrum.feed({ ...normal, message: { ...normal.message, id: `${normal.message.id}-${crypto.randomUUID()}` } });
          expect(spectrum.recent().events.map((e) => e.text)).toContain("after a broken record");
        },
        { timeout: 10_000, interval: 200 },
      );
      await spectrum.stop();
    });
  });
});

describe("webhook deliveries after poisonous envelopes", () => {
  it("the bot answers the next normal message of the same chat exactly once, and the stream sees it", { timeout: 60_000 }, async () => {
    const text = `normal ${crypto.randomUUID().slice(0, 8)}`;
    const dm = inOwnDm("dm-text", { type: "text", text });
    await seedInbound(env.SIMULATOR_URL, dm.body);
    for (const poison of poisoned(dm.body)) {
      const response = await through(worker, await signedRequest(poison.body));
      expect(response.status, poison.name).toBe(200);
    }
    await through(worker, await signedRequest(dm.body));
    await vi.waitFor(
      async () => {
        const { delivered } = await sim.sends({ chatPrefix: dm.chatGuid });
        expect(delivered.filter((m) => m.text === `You said: ${text}`)).toHaveLength(1);
      },
      { timeout: 30_000, interval: 200 },
    );
    await streamedOnce(dm.messageId);
    const stub = env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(ledgerNameOf(dm.chatGuid)));
    const key = await deliveryKeyOf(dm.messageId);
    // The reply reaches the server just before the ledger records the run as done: wait for that write.
    await vi.waitFor(async () => expect(await stub.inspect(key)).toMatchObject({ state: "done", attempts: 1 }), { timeout: 5_000, interval: 50 });
  });

  it("relayed poisons are acknowledged and the next relayed message is streamed once", { timeout: 30_000 }, async () => {
    const { socket, replies } = await openRelay<{ id: string; type: string }>();
    const frame = (envelope: unknown) => ({ type: "event", id: `evt-${crypto.randomUUID()}`, envelope });
    const poisons = poisoned(fixture("group-text")).map((p) => frame(JSON.parse(p.body)));
    for (const poison of poisons) socket.send(JSON.stringify(poison));
    await vi.waitFor(() => expect(replies.map((r) => r.id).sort()).toEqual(poisons.map((f) => f.id).sort()), { timeout: 20_000 });
    const normal = groupEnvelope(`relayed ${crypto.randomUUID()}`);
    const last = frame(normal);
    socket.send(JSON.stringify(last));
    await vi.waitFor(() => expect(replies.map((r) => r.id)).toContain(last.id), { timeout: 10_000 });
    expect(replies.every((r) => r.type === "ack")).toBe(true);
    await streamedOnce(normal.message.id);
    socket.close(1000, "done");
  });
});

describe("a delivery ledger after a poisonous delivery", () => {
  function delivery(body: string): VerifiedDelivery {
    const envelope = JSON.parse(body) as SlimEnvelope;
    return { envelope, messageId: envelope.message.id, webhookId: "wh_poison", scheme: "spectrum" };
  }

  it("a delivery too big to store is a dead letter with its reason; the next one is accepted and answered", { timeout: 30_000 }, async () => {
    const text = `after big ${crypto.randomUUID().slice(0, 8)}`;
    const dm = inOwnDm("dm-text", { type: "text", text });
    await seedInbound(env.SIMULATOR_URL, dm.body);
    const big = JSON.parse(dm.body) as Mutable;
    big.message.id = `big-${crypto.randomUUID()}`;
    big.message.content = { type: "text", text: "b".repeat(3 * 1024 * 1024) } as never;
    const stub = env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(ledgerNameOf(dm.chatGuid)));
    const bigKey = await deliveryKeyOf(big.message.id);
    expect(await stub.accept(delivery(JSON.stringify(big)), bigKey)).toBe("dead-letter");
    expect(await stub.inspect(bigKey)).toMatchObject({ state: "dead", lastError: expect.stringMatching(/too big/) });
    expect((await stub.deadLetters()).find((l: { key: string }) => l.key === bigKey)).toMatchObject({ messageId: big.message.id, chatGuid: dm.chatGuid });

    const key = await deliveryKeyOf(dm.messageId);
    expect(await stub.accept(delivery(dm.body), key)).toBe("accepted");
    await vi.waitFor(async () => expect(await stub.inspect(key)).toMatchObject({ state: "done" }), { timeout: 15_000, interval: 100 });
    const { delivered } = await sim.sends({ chatPrefix: dm.chatGuid });
    expect(delivered.filter((m) => m.text === `You said: ${text}`)).toHaveLength(1);
  });

  it("a stored row that cannot be read back is buried with its reason; the ledger runs the next delivery", { timeout: 30_000 }, async () => {
    const text = `after corrupt ${crypto.randomUUID().slice(0, 8)}`;
    const dm = inOwnDm("dm-text", { type: "text", text });
    await seedInbound(env.SIMULATOR_URL, dm.body);
    const stub = env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(ledgerNameOf(dm.chatGuid)));
    const corruptKey = `msg:corrupt-${crypto.randomUUID()}`;
    await runInDurableObject(stub, async (instance: InstanceType<typeof DeliveryLedger>, state) => {
      const corrupt = JSON.parse(dm.body) as Mutable;
      corrupt.message.id = corruptKey.slice(4);
      instance.store.accept(corruptKey, delivery(JSON.stringify(corrupt)), Date.now() - 1000);
      // A failed attempt moves it off the fast path to an open row, due now: corrupt that row's payload.
      instance.store.retryAt(corruptKey, Date.now() - 1000, "simulated failure", Date.now());
      state.storage.sql.exec("UPDATE open_deliveries SET delivery = '{not json' WHERE key = ?", corruptKey);
    });
    const key = await deliveryKeyOf(dm.messageId);
    expect(await stub.accept(delivery(dm.body), key)).toBe("accepted");
    await vi.waitFor(async () => expect(await stub.inspect(key)).toMatchObject({ state: "done" }), { timeout: 15_000, interval: 100 });
    expect(await stub.inspect(corruptKey)).toMatchObject({ state: "dead", lastError: expect.stringMatching(/cannot be read/) });
    expect((await stub.deadLetters()).find((l: { key: string }) => l.key === corruptKey)).toMatchObject({ key: corruptKey, chatGuid: dm.chatGuid });
    const { delivered } = await sim.sends({ chatPrefix: dm.chatGuid });
    expect(delivered.filter((m) => m.text === `You said: ${text}`)).toHaveLength(1);
  });
});
