/**
 * @module bench/load
 * Load on `wrangler dev`: our Worker (the demo bot, against the Spectrum simulator) and the calibration
 * Worker (`bench/calibration/`) side by side, 32 deliveries in flight, a unique mix and a mix with 30 %
 * exact duplicates. Both make the demo bot's outbound calls (typing on, one `sendText` reply, typing off) per unique delivery to their own simulator. Per run:
 * acknowledged deliveries per second, ack p50/p99, statuses, and the workerd CPU per delivery read from
 * /proc after every reply has reached the simulator.
 */
import { DEMO_SECRETS, freePort, startStack, type Stack } from "../scripts/stack.ts";
import { simulatorClient } from "../test/simulator/client.ts";
import { dmEnvelope, OURS_VARS, signedDeliveries, type SignedDelivery } from "./lib/deliveries.ts";
import { workerdCpuSeconds } from "./lib/proc.ts";
import { summarize } from "./lib/stats.ts";

/** One run of one mix against one Worker. */
export interface LoadRun {
  deliveries: number;
  perSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  /** workerd CPU per delivery, handlers included when `handled` is true. */
  cpuMsPerDelivery: number;
  /** Every unique delivery was answered (a sendText reached the simulator) within 2 minutes. */
  handled: boolean;
  statuses: Record<string, number>;
}

/** A Worker under test: where to post deliveries and how to know its handlers are done. */
export interface LoadTarget {
  name: "ours" | "calibration";
  stack: Stack;
  /** Path of the webhook route. */
  path: string;
  /** Whether deliveries run a bot whose replies reach the simulator. */
  replies: boolean;
}

const CONVERSATIONS = 64;

/** Posts one delivery; a connection failure counts as status `"network"` (Spectrum would retry it). */
async function post(url: string, delivery: SignedDelivery): Promise<{ ms: number; status: number | "network" }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(60_000) });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  } catch {
    return { ms: performance.now() - started, status: "network" };
  }
}

async function waitForReplies(target: LoadTarget, since: number, expected: number, timeoutMs: number): Promise<boolean> {
  const simulator = simulatorClient(target.stack.simulatorUrl);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Only sends the simulator accepted count: a refused one (auth, opt-in, unknown chat) is no reply.
    if ((await simulator.requests({ path: "/v1/messages:sendText", since })).filter((r) => r.status === 200).length >= expected) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Sends `deliveries` with `concurrency` in flight and measures acks, then (for a bot) waits for the
 * replies before reading the workerd CPU.
 *
 * @example
 * const run = await runLoad(target, await signedDeliveries({ ... }), 32);
 */
export async function runLoad(target: LoadTarget, deliveries: SignedDelivery[], concurrency: number): Promise<LoadRun> {
  const url = `${target.stack.workerUrl}${target.path}`;
  const since = target.replies ? await simulatorClient(target.stack.simulatorUrl).mark() : 0;
  const cpuBefore = workerdCpuSeconds(target.stack.workerPid);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < deliveries.length; i = next++) {
        const { ms, status } = await post(url, deliveries[i] as SignedDelivery);
        latencies.push(ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const unique = deliveries.filter((d) => !d.duplicate).length;
  const handled = target.replies ? await waitForReplies(target, since, unique, 120_000) : true;
  const cpuMs = (workerdCpuSeconds(target.stack.workerPid) - cpuBefore) * 1000;
  const { p50, p99 } = summarize(latencies);
  return {
    deliveries: deliveries.length,
    perSecond: deliveries.length / elapsedS,
    ackP50Ms: p50,
    ackP99Ms: p99,
    cpuMsPerDelivery: cpuMs / deliveries.length,
    handled,
    statuses,
  };
}

/** Options of {@link startTargets}. */
export interface TargetOptions {
  /** Checkout whose Worker is measured as "ours". */
  root: string;
  /** Where wrangler keeps local state (a fresh temporary directory per bench). */
  persistTo: string;
  log: (line: string) => void;
}

/**
 * Starts our Worker and the calibration Worker under `wrangler dev` (each with its own simulator), and
 * teaches the simulators the bench's DM conversations.
 *
 * @example
 * const targets = await startTargets({ root, persistTo, log });
 * try { ... } finally { await Promise.all(targets.map((t) => t.stack.stop())); }
 */
/** Makes a stack's simulator know the load's conversations (and their opt-in), so the bot's replies reach them. */
export async function seedConversations(stack: Stack): Promise<void> {
  const simulator = simulatorClient(stack.simulatorUrl);
  for (let i = 0; i < CONVERSATIONS; i++) {
    const envelope = dmEnvelope("seed", i, CONVERSATIONS, "hi");
    await simulator.deliver({ url: `${stack.simulatorUrl}/__sim/echo`, secret: "unused", envelope });
  }
}

export async function startTargets(options: TargetOptions): Promise<LoadTarget[]> {
  const start = async (extra: { config?: string; persist: string }) =>
    await startStack({
      workerPort: await freePort(),
      simulatorPort: await freePort(),
      persistTo: `${options.persistTo}/${extra.persist}`,
      worker: extra.config ? undefined : options.root,
      config: extra.config,
      log: options.log,
      readyTimeoutMs: 120_000,
      vars: extra.config ? undefined : OURS_VARS,
    });
  const ours = await start({ persist: "ours" });
  let calibration: Stack;
  try {
    calibration = await start({ config: "bench/calibration/wrangler.toml", persist: "calibration" });
  } catch (error) {
    await ours.stop();
    throw error;
  }
  // Both Workers reply to every unique delivery: each simulator learns the conversations (and their opt-in).
  for (const stack of [ours, calibration]) await seedConversations(stack);
  return [
    { name: "ours", stack: ours, path: "/api/imessage/webhook", replies: true },
    { name: "calibration", stack: calibration, path: "/webhook", replies: true },
  ];
}

/**
 * The deliveries of one load run: `unique` DMs over the seeded conversations, plus `duplicateShare`
 * exact copies.
 *
 * @example
 * const deliveries = await loadDeliveries("run3", 200, 0.3);
 */
export async function loadDeliveries(runId: string, unique: number, duplicateShare: number): Promise<SignedDelivery[]> {
  return await signedDeliveries({
    runId,
    unique,
    duplicateShare,
    conversations: CONVERSATIONS,
    secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
    text: "hello",
  });
}
