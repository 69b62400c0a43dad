/**
 * @module reliability/faults
 * Storms through the real Worker (wrangler dev) while the simulated iMessage server misbehaves on
 * sends: every message must be answered once — 0 lost, 0 doubled. Each scenario has its own chats,
 * and its faults are scoped to them, so the fault scenarios run side by side on one Worker.
 */
import { afterAll, beforeAll, describe, it, type TestContext } from "vitest";
import type { FaultSpec } from "../simulator/types.ts";
import type { Counts } from "./counts.ts";
import { FAST_REDELIVERY, failureReport, startReliabilityStack, type ReliabilityStack } from "./fixture.ts";
import { planStorm, runScenario, type StormPlan } from "./scenario.ts";

const SENDS = "/v1/messages:send*";
/** Longer than the adapter's 15 s per-call timeout. */
const HANG_MS = 17_000;

let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack("faults", { vars: FAST_REDELIVERY });
});

afterAll(async () => {
  await stack?.stop();
});

function expectExactlyOnce(ctx: TestContext, counts: Counts): void {
  ctx.expect({ lost: counts.lost, doubled: counts.doubled }).toEqual({ lost: 0, doubled: 0 });
}

async function scenario(
  ctx: TestContext,
  name: string,
  plan: StormPlan,
  faults: Omit<FaultSpec, "match" | "chatPrefix">[] = [],
): Promise<Counts> {
  ctx.onTestFailed(() => console.error(failureReport(stack)));
  const storm = planStorm(plan);
  const armed = await Promise.all(faults.map((f) => stack.sim.faults.arm({ match: SENDS, chatPrefix: storm.chatPrefix, seed: Number(plan.code), ...f })));
  try {
    return await runScenario(name, storm, { sim: stack.sim, sender: stack.sender({ concurrency: 8 }), settle: { timeoutMs: 60_000 } });
  } finally {
    for (const fault of armed) stack.sim.faults.clear(fault.id);
  }
}

describe("storms", () => {
  it("120 messages with 30% exact duplicates (same webhook id and message id): each answered once", async (ctx) => {
    expectExactlyOnce(ctx, await scenario(ctx, "storm, 30% duplicates", { code: "201", count: 120, duplicateRate: 0.3 }));
  });

  it("the same Worker registered twice (two webhook ids per message): each message answered once", async (ctx) => {
    expectExactlyOnce(ctx, await scenario(ctx, "two registrations", { code: "202", count: 60, registrations: 2 }));
  });
});

/** Faults answered at once, on about 10 % of sends; these scenarios run side by side, each on its own chats. */
const QUICK_FAULTS: { name: string; code: string; faults: Omit<FaultSpec, "match" | "chatPrefix">[] }[] = [
  { name: "429 with Retry-After", code: "211", faults: [{ status: 429, retryAfter: 1, rate: 0.1 }] },
  { name: "500", code: "212", faults: [{ status: 500, rate: 0.1 }] },
  { name: "503 bursts", code: "213", faults: [{ status: 503, rate: 0.04, burst: 4 }] },
  { name: "reset before the server acts", code: "216", faults: [{ drop: true, rate: 0.1 }] },
  { name: "reset after the server sent", code: "217", faults: [{ phase: "after", drop: true, rate: 0.1 }] },
];

describe.concurrent("faults on 10% of sends", () => {
  for (const { name, code, faults } of QUICK_FAULTS) {
    it(`${name}: every message answered once`, async (ctx) => {
      expectExactlyOnce(ctx, await scenario(ctx, name, { code, count: 30 }, faults));
    });
  }
});

/**
 * Hangs past the adapter's 15 s timeout, one scenario at a time: a hung request holds one of the
 * Worker's outbound connections, which would slow the other scenarios' sends if they shared the time.
 */
describe("hangs on 10% of sends", () => {
  it("hang before the server acts: every message answered once", async (ctx) => {
    expectExactlyOnce(ctx, await scenario(ctx, "hang before the server acts", { code: "214", count: 20 }, [{ delayMs: HANG_MS, drop: true, rate: 0.1 }]));
  });

  it("hang after the server sent (the answer is lost): every message answered once", async (ctx) => {
    expectExactlyOnce(
      ctx,
      await scenario(ctx, "hang after the server sent", { code: "215", count: 20 }, [{ phase: "after", delayMs: HANG_MS, drop: true, rate: 0.1 }]),
    );
  });
});

describe("token expiry", () => {
  it("a token that expires mid-flight (401 tokenExpired on 10% of sends): every message answered once", async (ctx) => {
    expectExactlyOnce(ctx, await scenario(ctx, "token expiry mid-flight", { code: "218", count: 20 }, [{ expireToken: true, rate: 0.1 }]));
  });
});
