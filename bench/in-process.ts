/**
 * @module bench/in-process
 * One in-process run of one adapter on Node: signed DM deliveries through `bot.webhooks.imessage`,
 * each timed until its `waitUntil` work has settled, with `chat` and `@chat-adapter/state-memory`
 * and a no-op `onNewMention`. Ours runs in self-host config with the memory ledger; the reference is
 * `@photon-ai/chat-adapter-imessage` (a bench-only devDependency). Both get the same envelope.
 * Prints one JSON line: {@link InProcessRun}. `bench/run.ts` alternates runs of both in fresh processes.
 *
 *   npm exec -- node bench/in-process.ts --adapter ours|reference [--count 3000] [--warmup 500]
 *   (BENCH_SOURCE_ROOT=<dir> measures the adapter in another checkout, see `lib/source.ts`)
 *   npm exec -- node --cpu-prof --cpu-prof-dir=/tmp/prof bench/in-process.ts --adapter ours
 */
import { Chat, ConsoleLogger, type Adapter } from "chat";
import { createMemoryState } from "@chat-adapter/state-memory";
import { createiMessageAdapter as createReference } from "@photon-ai/chat-adapter-imessage";
import { pathToFileURL } from "node:url";
import { signedDeliveries, type SignedDelivery } from "./lib/deliveries.ts";
import { REPO_ROOT } from "./lib/source.ts";
import { summarize } from "./lib/stats.ts";

/** The adapters compared. */
export type InProcessAdapter = "ours" | "reference";

/** What one run prints: latencies in µs from handing the Request to the bot until its work settled. */
export interface InProcessRun {
  adapter: InProcessAdapter;
  deliveries: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  perSecond: number;
  node: string;
}

const SECRET = "whsec_bench";
/** A server nobody answers: neither adapter sends anything with a no-op handler. */
const SERVER = "127.0.0.1:9";

/** The part of our package this run uses (typed here: `src/` is type-checked with the Workers types, not Node's). */
interface OurPackage {
  createiMessageAdapter(options: Record<string, unknown>): Adapter;
}

async function createBot(adapter: InProcessAdapter, sourceRoot: string): Promise<Chat<{ imessage: Adapter }>> {
  const logger = new ConsoleLogger("silent");
  const { createiMessageAdapter: createOurs } = (await import(pathToFileURL(`${sourceRoot}/src/index.ts`).href)) as OurPackage;
  const imessage =
    adapter === "ours"
      ? createOurs({ env: {}, serverUrl: SERVER, apiKey: "bench", webhookSecret: SECRET, userName: "bot", logger })
      : (createReference({ serverUrl: SERVER, apiKey: "bench", webhookSecret: SECRET, logger }) as unknown as Adapter);
  const bot = new Chat({ userName: "bot", adapters: { imessage: imessage as Adapter }, state: createMemoryState(), logger });
  bot.onNewMention(async () => {});
  return bot;
}

async function deliver(bot: Chat<{ imessage: Adapter }>, delivery: SignedDelivery): Promise<number> {
  const request = new Request("http://bench.local/api/imessage/webhook", { method: "POST", headers: delivery.headers, body: delivery.body });
  const work: Promise<unknown>[] = [];
  const started = performance.now();
  const response = await bot.webhooks.imessage(request, { waitUntil: (task) => void work.push(task) });
  await Promise.all(work);
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`delivery answered ${response.status}: ${await response.text()}`);
  return elapsed;
}

/**
 * Runs `count` timed deliveries after `warmup` untimed ones (JIT, lazy initialisation).
 *
 * @example
 * const run = await runInProcess("ours", 3000, 500, REPO_ROOT);
 */
export async function runInProcess(adapter: InProcessAdapter, count: number, warmup: number, sourceRoot: string): Promise<InProcessRun> {
  const bot = await createBot(adapter, sourceRoot);
  const runId = `${adapter}-${process.pid}`;
  const deliveries = await signedDeliveries({ runId, unique: warmup + count, conversations: 100, secret: SECRET });
  for (const delivery of deliveries.slice(0, warmup)) await deliver(bot, delivery);
  const latenciesMs: number[] = [];
  const started = performance.now();
  for (const delivery of deliveries.slice(warmup)) latenciesMs.push(await deliver(bot, delivery));
  const elapsedS = (performance.now() - started) / 1000;
  const { p50, p90, p99 } = summarize(latenciesMs.map((ms) => ms * 1000));
  return { adapter, deliveries: count, p50Us: p50, p90Us: p90, p99Us: p99, perSecond: count / elapsedS, node: process.version };
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

if (import.meta.main) {
  const adapter = option("adapter", "ours");
  if (adapter !== "ours" && adapter !== "reference") throw new Error(`--adapter must be "ours" or "reference", got "${adapter}"`);
  const sourceRoot = process.env.BENCH_SOURCE_ROOT || REPO_ROOT;
  const run = await runInProcess(adapter, Number(option("count", "3000")), Number(option("warmup", "500")), sourceRoot);
  console.log(JSON.stringify(run));
  // The reference's spectrum-ts app may hold timers or sockets open.
  process.exit(0);
}
