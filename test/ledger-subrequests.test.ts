/**
 * Outbound calls per ledger invocation: a burst of deliveries (100 in one conversation, 100 across
 * conversations) never charges more than 40 `fetch` calls to one request or alarm of a ledger
 * (Workers Free allows 50): what one invocation's drain has no budget left for, a fresh one runs.
 *
 * Each `accept()` and `alarm()` of the ledger class is wrapped to run in an async context of its own
 * (`AsyncLocalStorage`, which follows every promise a drain started there), and `fetch` counts its
 * calls by that context: what each invocation started, it pays for.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DeliveryLedgerBase } from "../src/durable-objects/delivery-ledger.ts";
import { ledgerNameOf } from "../src/ledger/keys.ts";
import { OUTBOUND_PER_INVOCATION } from "../src/ledger/outbound-budget.ts";
import worker from "../demo/index.ts";
import { inOwnDm, seedInbound, signedRequest, through } from "./helpers.ts";
import { sim } from "./outbound-helpers.ts";

interface Invocation {
  kind: "accept" | "alarm";
  fetches: number;
}

const invocation = new AsyncLocalStorage<Invocation>();
const invocations: Invocation[] = [];
let restore: () => void = () => {};

beforeAll(() => {
  const proto = DeliveryLedgerBase.prototype as unknown as Record<"accept" | "alarm", (...args: unknown[]) => Promise<unknown>>;
  const originals = { accept: proto.accept, alarm: proto.alarm };
  for (const kind of ["accept", "alarm"] as const) {
    const original = originals[kind];
    proto[kind] = function (this: unknown, ...args: unknown[]) {
      const current: Invocation = { kind, fetches: 0 };
      invocations.push(current);
      return invocation.run(current, () => original.apply(this, args));
    };
  }
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const current = invocation.getStore();
    if (current) current.fetches++;
    return realFetch(input, init);
  }) as typeof fetch;
  restore = () => {
    Object.assign(proto, originals);
    globalThis.fetch = realFetch;
  };
});
afterAll(() => restore());

/** A text in `chatGuid`'s conversation (fresh message id), known to the simulated server. */
function message(base: string, text: string): string {
  const envelope = JSON.parse(base);
  envelope.message.id = crypto.randomUUID();
  envelope.message.content = { type: "text", text };
  return JSON.stringify(envelope);
}

async function sendAll(bodies: string[]): Promise<void> {
  for (const body of bodies) await seedInbound(env.SIMULATOR_URL, body);
  const requests = await Promise.all(bodies.map((body) => signedRequest(body)));
  const statuses = await Promise.all(requests.map(async (request) => ((await (await through(worker, request)).json()) as { status: string }).status));
  expect(statuses.every((status) => status === "accepted")).toBe(true);
}

/** Waits until every chat in `expected` has its replies, then returns the invocations that made calls. */
async function settled(expected: Map<string, number>, prefix: string): Promise<Invocation[]> {
  await vi.waitFor(
    async () => {
      const { delivered } = await sim.sends({ chatPrefix: prefix });
      for (const [chatGuid, count] of expected) expect(delivered.filter((m) => m.chatGuid === chatGuid).length).toBe(count);
    },
    { timeout: 90_000, interval: 250 },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  return invocations.splice(0).filter((i) => i.fetches > 0);
}

describe("outbound calls per ledger invocation", () => {
  it("100 deliveries in one conversation: at most 40 calls per invocation, the rest in fresh ones", { timeout: 120_000 }, async () => {
    const dm = inOwnDm("dm-text");
    const bodies = Array.from({ length: 100 }, (_, i) => message(dm.body, `burst ${i}`));
    invocations.splice(0);
    await sendAll(bodies);
    const used = await settled(new Map([[dm.chatGuid, 100]]), dm.chatGuid);
    const { delivered } = await sim.sends({ chatPrefix: dm.chatGuid });
    // One at a time, in arrival order.
    expect(delivered.map((m) => m.text)).toEqual(bodies.map((_, i) => `You said: burst ${i}`));
    const calls = used.map((i) => i.fetches);
    console.log(`one conversation: ${calls.reduce((a, b) => a + b, 0)} calls in ${used.length} invocations (${used.map((i) => `${i.kind} ${i.fetches}`).join(", ")})`);
    expect(Math.max(...calls)).toBeLessThanOrEqual(OUTBOUND_PER_INVOCATION);
    expect(used.length).toBeGreaterThan(1);
  });

  it("100 deliveries across conversations of one ledger: at most 40 calls per invocation", { timeout: 120_000 }, async () => {
    // All in one ledger: its drain would otherwise pick every one of them up.
    const prefix = `any;-;+1666${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}`;
    const ledger = ledgerNameOf(`${prefix}000`);
    const chats: string[] = [];
    for (let n = 0; chats.length < 100; n++) {
      const chatGuid = `${prefix}${String(n).padStart(4, "0")}`;
      if (ledgerNameOf(chatGuid) === ledger) chats.push(chatGuid);
    }
    const bodies = chats.map((chatGuid, i) => {
      const envelope = JSON.parse(inOwnDm("dm-text").body);
      envelope.message.sender = { id: chatGuid.slice("any;-;".length) };
      envelope.message.space = { ...envelope.message.space, id: chatGuid };
      if (envelope.space) envelope.space = { ...envelope.space, id: chatGuid };
      return message(JSON.stringify(envelope), `across ${i}`);
    });
    invocations.splice(0);
    await sendAll(bodies);
    const used = await settled(new Map(chats.map((chatGuid) => [chatGuid, 1])), prefix);
    const calls = used.map((i) => i.fetches);
    console.log(`across conversations: ${calls.reduce((a, b) => a + b, 0)} calls in ${used.length} invocations, at most ${Math.max(...calls)}`);
    expect(Math.max(...calls)).toBeLessThanOrEqual(OUTBOUND_PER_INVOCATION);
    expect(calls.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200);
  });
});
