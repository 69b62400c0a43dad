/**
 * @module reliability/stress
 * `npm run stress`: 10,000 messages with 30% exact duplicates through the real Worker under
 * wrangler dev, every send fault of the simulator at once, and one SIGKILL + restart of the Worker
 * mid-storm; prints `sent / unique / accepted / handled / delivered / lost / doubled` and exits 1
 * unless 0 lost and 0 doubled.
 *
 *   npm run stress -- [--count 10000] [--per-chat 1] [--concurrency 32] [--no-kill] [--quiet-faults]
 *
 * `--per-chat N` puts N consecutive messages in each conversation (default 1: every message in a DM of
 * its own); a conversation's messages are handled one at a time, in order.
 */
import type { FaultSpec } from "../simulator/types.ts";
import { FAST_REDELIVERY, failureReport, startReliabilityStack } from "./fixture.ts";
import { countStorm, planStorm, reportCounts, sendStorm, settle } from "./scenario.ts";
import type { DeliveryReport } from "./sender.ts";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const count = option("count", 10_000);
const perChat = option("per-chat", 1);
const concurrency = option("concurrency", 32);
const kill = !process.argv.includes("--no-kill");
const withFaults = !process.argv.includes("--quiet-faults");

/** Every fault the simulator has, at once, on sends (rates add up to about 17 % of sends). */
const ALL_FAULTS: Omit<FaultSpec, "match" | "chatPrefix">[] = [
  { status: 429, retryAfter: 1, rate: 0.05 },
  { status: 500, rate: 0.03 },
  { status: 503, rate: 0.01, burst: 4 },
  { delayMs: 17_000, drop: true, rate: 0.01 },
  { phase: "after", delayMs: 17_000, drop: true, rate: 0.01 },
  { drop: true, rate: 0.02 },
  { phase: "after", drop: true, rate: 0.02 },
  { expireToken: true, rate: 0.01 },
];

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0)} s`;
console.log(`stress: starting the simulator and wrangler dev…`);
const stack = await startReliabilityStack("stress", { vars: FAST_REDELIVERY });
const storm = planStorm({ code: "900", count, duplicateRate: 0.3, perChat });
const reports: DeliveryReport[] = [];
const stormStart = Date.now();
const stop = async (code: number): Promise<never> => {
  await stack.stop();
  process.exit(code);
};
/** Interrupted (Ctrl-C, a CI timeout): print what was measured so far, then stop wrangler. */
const interrupted = (code: number): void => {
  reportCounts("stress (interrupted; sent counts ended deliveries only)", countStorm(storm, stack.sim, reports, stormStart));
  void stop(code);
};
process.on("SIGINT", () => interrupted(130));
process.on("SIGTERM", () => interrupted(143));

try {
  // One seed per fault: with one shared seed the faults' draws would repeat each other's.
  if (withFaults) ALL_FAULTS.forEach((fault, i) => stack.sim.faults.arm({ match: "/v1/messages:send*", chatPrefix: storm.chatPrefix, seed: 900 + i, ...fault }));
  console.log(`stress: ${storm.deliveries.length} deliveries of ${count} messages in ${Math.ceil(count / perChat)} conversations, ${withFaults ? "every fault at once" : "no faults"}, ${kill ? "one SIGKILL + restart at 40%" : "no kill"} (log: ${stack.logFile})`);
  let restarted: Promise<void> | undefined;
  const progress = setInterval(() => {
    const delivered = stack.sim.sends.delivered({ chatPrefix: storm.chatPrefix }).length;
    console.log(`stress: ${elapsed()}: ${delivered} replies delivered`);
  }, 30_000);
  const pending = sendStorm(storm, {
    sim: stack.sim,
    sender: stack.sender({ concurrency }),
    ended: reports,
    onDeliveryEnded: (ended, total) => {
      if (!kill || restarted || ended < total * 0.4) return;
      console.log(`stress: ${elapsed()}: SIGKILL of wrangler dev after ${ended} of ${total} deliveries, restarting`);
      restarted = (async () => {
        await stack.worker.kill("SIGKILL");
        await stack.worker.start();
        console.log(`stress: ${elapsed()}: the Worker is back`);
      })();
    },
  });
  await pending;
  await restarted;
  console.log(`stress: ${elapsed()}: every delivery ended; waiting for the replies`);
  await settle(storm, stack.sim, { timeoutMs: 120_000 + count * 20, quietMs: 20_000 });
  clearInterval(progress);
  const counts = countStorm(storm, stack.sim, reports, stormStart);
  reportCounts("stress", counts);
  const ok = counts.lost === 0 && counts.doubled === 0;
  if (!ok) console.error(failureReport(stack));
  await stop(ok ? 0 : 1);
} catch (error) {
  console.error(error);
  console.error(failureReport(stack));
  await stop(1);
}
