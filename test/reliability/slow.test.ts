/**
 * @module reliability/slow
 * A handler that runs longer than `waitUntil`'s 30 s (the demo bot's test-only `DEMO_SLOW_MS`, like
 * a slow LLM call), with copies of its deliveries arriving meanwhile: answered once each. (workerd
 * under wrangler dev does not cancel `waitUntil` work after 30 s as Cloudflare does, so this proves
 * that slow handlers are neither cut off by the harness nor run twice by a lease that runs out.)
 */
import { afterAll, beforeAll, it } from "vitest";
import { FAST_REDELIVERY, failureReport, startReliabilityStack, type ReliabilityStack } from "./fixture.ts";
import { planStorm, runScenario } from "./scenario.ts";

/**
 * Longer than every limit the scenario is about: `waitUntil`'s 30 s budget and the Chat SDK's 30 s
 * thread lock (`DEFAULT_LOCK_TTL_MS`), with margin; and over three of the ledger's 10 s watchdog
 * periods (`RESUME_AFTER_MS`), so a watchdog that took the run for dead would start it again meanwhile.
 */
const SLOW_MS = 35_000;
let stack: ReliabilityStack;

beforeAll(async () => {
  stack = await startReliabilityStack("slow", { vars: { ...FAST_REDELIVERY, DEMO_SLOW_MS: String(SLOW_MS) } });
});

afterAll(async () => {
  await stack?.stop();
});

it(`a handler that takes ${SLOW_MS / 1000} s, with 50% duplicate deliveries: every message answered once`, async (ctx) => {
  ctx.onTestFailed(() => console.error(failureReport(stack)));
  const storm = planStorm({ code: "401", count: 6, duplicateRate: 0.5 });
  const counts = await runScenario(`handler of ${SLOW_MS / 1000} s`, storm, {
    sim: stack.sim,
    sender: stack.sender({ concurrency: 4 }),
    spacingMs: 500,
    // Quiet for one handler's time after the last reply: a second run of a message can only have started
    // while its first run was going (lock expiry, watchdog, an accepted copy), so its reply would be in.
    settle: { timeoutMs: 2 * SLOW_MS + 40_000, quietMs: SLOW_MS },
  });
  ctx.expect({ lost: counts.lost, doubled: counts.doubled }).toEqual({ lost: 0, doubled: 0 });
});
