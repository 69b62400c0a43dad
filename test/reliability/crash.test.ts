/**
 * @module reliability/crash
 * The Worker process dies: SIGKILL and SIGTERM of `wrangler dev` in the middle of a storm, then a
 * restart on the same persisted state; and a Worker that is down for ten simulated minutes while
 * the sender gives up, whose messages must then come in through reconciliation (the gateway's poll
 * of the server's message list). Every message must still be answered once.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import type { Counts } from "./counts.ts";
import { FAST_REDELIVERY, failureReport, startReliabilityStack, type ReliabilityStack } from "./fixture.ts";
import { planStorm, runScenario } from "./scenario.ts";

let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack("crash", { vars: FAST_REDELIVERY });
});

afterAll(async () => {
  await stack?.stop();
});

function expectExactlyOnce(ctx: TestContext, counts: Counts): void {
  ctx.onTestFailed(() => console.error(failureReport(stack)));
  ctx.expect({ lost: counts.lost, doubled: counts.doubled }).toEqual({ lost: 0, doubled: 0 });
}

/** Runs a storm and, once `share` of its deliveries have ended, signals the Worker and starts it again. */
async function stormWithCrash(name: string, code: string, count: number, signal: "SIGKILL" | "SIGTERM", share: number): Promise<Counts> {
  const storm = planStorm({ code, count, duplicateRate: 0.3 });
  let restarted: Promise<void> | undefined;
  const counts = await runScenario(name, storm, {
    sim: stack.sim,
    sender: stack.sender({ concurrency: 8 }),
    onDeliveryEnded: (ended, total) => {
      if (restarted || ended < total * share) return;
      restarted = (async () => {
        await stack.worker.kill(signal);
        await stack.worker.start();
      })();
    },
    settle: {
      timeoutMs: 120_000,
      tick: async () => {
        await restarted;
      },
    },
  });
  expect(restarted, "the storm ended before the Worker was signalled").toBeDefined();
  return counts;
}

describe("the Worker process dies mid-storm", () => {
  it("SIGKILL of wrangler dev after 35% of the deliveries, restart on the same state: every message answered once", async (ctx) => {
    expectExactlyOnce(ctx, await stormWithCrash("SIGKILL mid-storm, restart", "301", 150, "SIGKILL", 0.35));
  });

  it("SIGTERM of wrangler dev after 35% of the deliveries, restart on the same state: every message answered once", async (ctx) => {
    expectExactlyOnce(ctx, await stormWithCrash("SIGTERM mid-storm, restart", "302", 100, "SIGTERM", 0.35));
  });
});

describe("the Worker is down while Spectrum gives up", () => {
  it(
    "down for ten simulated minutes (the sender runs out of attempts), then back: reconciliation answers every message once",
    async (ctx) => {
      // A deployment's cron has run before the outage: the reconciliation cursor exists.
      expect((await stack.worker.cron()).status).toBe(200);
      await stack.worker.kill("SIGKILL");
      // 1 real second = 50 simulated seconds: ten minutes of outage in 12 s, Spectrum's 39 s of backoff in 0.8 s.
      const timeScale = 0.02;
      const storm = planStorm({ code: "303", count: 20 });
      const sender = stack.sender({ timeScale });
      let back: Promise<void> | undefined;
      const counts = await runScenario("down 10 simulated minutes, then reconciliation", storm, {
        sim: stack.sim,
        sender,
        spacingMs: (600_000 * timeScale) / storm.deliveries.length,
        settle: {
          timeoutMs: 90_000,
          tick: async () => {
            back ??= stack.worker.start();
            await back;
            await stack.worker.cron();
          },
        },
      });
      ctx.expect(counts.accepted, "the sender should have given up on every delivery while the Worker was down").toBe(0);
      expectExactlyOnce(ctx, counts);
    },
  );
});
