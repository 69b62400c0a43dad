/**
 * @module reliability/slow
 * A handler that runs longer than `waitUntil`'s 30 s (the demo bot's test-only `DEMO_SLOW_MS`, like
 * a slow LLM call), with copies of its deliveries arriving meanwhile: answered once each. (workerd
 * under wrangler dev does not cancel `waitUntil` work after 30 s as Cloudflare does, so this proves
 * that slow handlers are neither cut off by the harness nor run twice by a lease that runs out.)
 */
import { afterAll, beforeAll } from "vitest";
import { FAST_REDELIVERY, failureReport, startReliabilityStack, type ReliabilityStack } from "./fixture.ts";
import { knownFailure } from "./known-failures.ts";
import { planStorm, runScenario } from "./scenario.ts";

const SLOW_MS = 90_000;
let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack("slow", { vars: { ...FAST_REDELIVERY, DEMO_SLOW_MS: String(SLOW_MS) } });
});

afterAll(async () => {
  await stack?.stop();
});

knownFailure("handler longer than 30 s")(`a handler that takes ${SLOW_MS / 1000} s, with 50% duplicate deliveries: every message answered once`, async (ctx) => {
  ctx.onTestFailed(() => console.error(failureReport(stack)));
  const storm = planStorm({ code: "401", count: 6, duplicateRate: 0.5 });
  const counts = await runScenario(`handler of ${SLOW_MS / 1000} s`, storm, {
    sim: stack.sim,
    sender: stack.sender({ concurrency: 4 }),
    spacingMs: 500,
    settle: { timeoutMs: SLOW_MS + 60_000, quietMs: 10_000 },
  });
  ctx.expect({ lost: counts.lost, doubled: counts.doubled }).toEqual({ lost: 0, doubled: 0 });
});
