/**
 * @module bench/run
 * `npm run bench`: every section of the benchmark, each figure the median of several runs, printed as
 * one markdown table, saved to `bench/results.json`, and written between the `bench:start`/`bench:end`
 * markers of the README (and `docs/performance.md` when it has them).
 *
 *   npm run bench [-- --ref <commit>] [--runs 3] [--count 3000] [--load 200] [--conversations 10]
 *                 [--only in-process,load,operations,size] [--no-write] [--out before.json]
 *
 * `--ref` measures a commit checked out into a temporary directory (before/after on one machine);
 * `--no-write` prints the table without touching results.json or the documents; `--out` saves the
 * results there instead, documents untouched.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { InProcessAdapter, InProcessRun } from "./in-process.ts";
import { loadDeliveries, runLoad, startTargets, type LoadRun, type LoadTarget } from "./load.ts";
import { writeBetweenMarkers } from "./lib/markers.ts";
import { PRICES_READ_ON, usdPerMillionDeliveries } from "./lib/prices.ts";
import { machine } from "./lib/proc.ts";
import type { BenchResults, InProcessResult, LoadMixResult } from "./lib/results.ts";
import { openSource, REPO_ROOT } from "./lib/source.ts";
import { median, medianOf } from "./lib/stats.ts";
import { renderTable } from "./lib/table.ts";
import { countBurstSubrequests, countOperations, startCountingStack, type PerDelivery } from "./operations.ts";
import { measureSize } from "./size.ts";

const run = promisify(execFile);

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const settings = {
  runs: Math.max(1, Number(option("runs", "3"))),
  inProcessCount: Number(option("count", "3000")),
  loadDeliveries: Number(option("load", "200")),
  concurrency: 32,
  opsConversations: Number(option("conversations", "10")),
};
const sections = new Set(option("only", "in-process,load,operations,size").split(","));
const write = !process.argv.includes("--no-write");
const out = option("out", "");
const log = (line: string) => console.error(line);
const quiet = (line: string) => {
  if (process.env.BENCH_VERBOSE) console.error(line);
};

async function inProcessRun(adapter: InProcessAdapter, sourceRoot: string): Promise<InProcessRun> {
  const { stdout } = await run(
    process.execPath,
    [join(REPO_ROOT, "bench/in-process.ts"), "--adapter", adapter, "--count", String(settings.inProcessCount), "--warmup", String(Math.min(500, settings.inProcessCount))],
    { cwd: REPO_ROOT, env: { ...process.env, BENCH_SOURCE_ROOT: sourceRoot }, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split("\n").findLast((l) => l.startsWith('{"adapter"'));
  if (!line) throw new Error(`the in-process run of ${adapter} printed no result:\n${stdout}`);
  return JSON.parse(line) as InProcessRun;
}

async function measureInProcess(sourceRoot: string): Promise<InProcessResult> {
  const runs: InProcessRun[] = [];
  const ratios: Record<"p50" | "p90" | "p99" | "perSecond", number>[] = [];
  for (let r = 0; r < settings.runs; r++) {
    const order: InProcessAdapter[] = r % 2 === 0 ? ["ours", "reference"] : ["reference", "ours"];
    const pair: Partial<Record<InProcessAdapter, InProcessRun>> = {};
    for (const adapter of order) {
      pair[adapter] = await inProcessRun(adapter, sourceRoot);
      log(`in-process run ${r + 1} ${adapter}: p50 ${pair[adapter]!.p50Us.toFixed(0)} µs, ${pair[adapter]!.perSecond.toFixed(0)}/s`);
      runs.push(pair[adapter]!);
    }
    const ours = pair.ours!;
    const reference = pair.reference!;
    ratios.push({ p50: ours.p50Us / reference.p50Us, p90: ours.p90Us / reference.p90Us, p99: ours.p99Us / reference.p99Us, perSecond: ours.perSecond / reference.perSecond });
  }
  const pick = (adapter: InProcessAdapter) =>
    medianOf(runs.filter((r) => r.adapter === adapter).map(({ p50Us, p90Us, p99Us, perSecond }) => ({ p50Us, p90Us, p99Us, perSecond })));
  return { ours: pick("ours"), reference: pick("reference"), ratio: medianOf(ratios), runs };
}

function loadSummary(run: LoadRun) {
  return { perSecond: run.perSecond, ackP50Ms: run.ackP50Ms, ackP99Ms: run.ackP99Ms, cpuMsPerDelivery: run.cpuMsPerDelivery };
}

async function measureLoadMix(targets: LoadTarget[], duplicateShare: number, label: string): Promise<LoadMixResult> {
  const runs: { ours: LoadRun; calibration: LoadRun }[] = [];
  for (let r = 0; r < settings.runs; r++) {
    const pair: Partial<Record<"ours" | "calibration", LoadRun>> = {};
    for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
      const deliveries = await loadDeliveries(`${label}-${r}-${target.name}-${Date.now()}`, settings.loadDeliveries, duplicateShare);
      pair[target.name] = await runLoad(target, deliveries, settings.concurrency);
      const got = pair[target.name]!;
      log(`load ${label} run ${r + 1} ${target.name}: ${got.perSecond.toFixed(1)}/s, ack p50 ${got.ackP50Ms.toFixed(0)} ms, p99 ${got.ackP99Ms.toFixed(0)} ms, CPU ${got.cpuMsPerDelivery.toFixed(1)} ms, ${JSON.stringify(got.statuses)}, ${got.handled ? "every reply sent" : "REPLIES MISSING"}`);
    }
    runs.push({ ours: pair.ours!, calibration: pair.calibration! });
  }
  return {
    ours: medianOf(runs.map((r) => loadSummary(r.ours))),
    calibration: medianOf(runs.map((r) => loadSummary(r.calibration))),
    ratio: medianOf(
      runs.map(({ ours, calibration }) => ({
        perSecond: ours.perSecond / calibration.perSecond,
        ackP50: ours.ackP50Ms / calibration.ackP50Ms,
        ackP99: ours.ackP99Ms / calibration.ackP99Ms,
        cpuMsPerDelivery: ours.cpuMsPerDelivery / calibration.cpuMsPerDelivery,
      })),
    ),
    unhandledRuns: runs.filter((r) => !r.ours.handled || !r.calibration.handled).length,
    runs,
  };
}

async function measureLoad(sourceRoot: string, scratch: string): Promise<NonNullable<BenchResults["load"]>> {
  const targets = await startTargets({ root: sourceRoot, persistTo: join(scratch, "load-state"), log: quiet });
  try {
    for (const target of targets) await runLoad(target, await loadDeliveries(`warm-${target.name}-${Date.now()}`, 40, 0), 8);
    return { unique: await measureLoadMix(targets, 0, "unique"), duplicates30: await measureLoadMix(targets, 0.3, "dup30") };
  } finally {
    await Promise.all(targets.map((target) => target.stack.stop()));
  }
}

function medianPerDelivery(runs: PerDelivery[]): PerDelivery {
  const bindings = [...new Set(runs.flatMap((r) => Object.keys(r.byBinding)))];
  const { byBinding: _ignored, sqlByStatement: _statements, ...first } = runs[0]!;
  return {
    ...medianOf(runs.map(({ byBinding: _b, sqlByStatement: _s, ...numbers }) => numbers as typeof first)),
    byBinding: Object.fromEntries(bindings.map((name) => [name, median(runs.map((r) => r.byBinding[name] ?? 0))])),
    // Evidence for the reader, from the last run (the figures above are medians).
    sqlByStatement: runs.at(-1)!.sqlByStatement,
  };
}

async function measureOperations(
  sourceRoot: string,
  scratch: string,
): Promise<{ operations: NonNullable<BenchResults["operations"]>; subrequests: NonNullable<BenchResults["subrequests"]> }> {
  const stack = await startCountingStack(sourceRoot, scratch, quiet);
  try {
    const runs = [];
    for (let r = 0; r < settings.runs; r++) {
      runs.push(await countOperations(stack, `r${r + 1}`, settings.opsConversations));
      const { sqlByStatement: _evidence, ...unique } = runs.at(-1)!.unique;
      log(`operations run ${r + 1}: unique ${JSON.stringify(unique)}`);
    }
    // The worst of the runs: a limit is about the most, not the median.
    const bursts = [];
    for (let r = 0; r < settings.runs; r++) bursts.push(await countBurstSubrequests(stack, `b${r + 1}`, 100));
    log(`subrequests per invocation, bursts of 100: ${JSON.stringify(bursts)}`);
    const subrequests = {
      burst: 100,
      oneConversation: Math.max(...bursts.map((b) => b.oneConversation)),
      acrossConversations: Math.max(...bursts.map((b) => b.acrossConversations)),
      maxPerInvocation: Math.max(...bursts.map((b) => b.maxPerInvocation)),
    };
    const operations = {
      firstOfConversation: medianPerDelivery(runs.map((r) => r.firstOfConversation)),
      unique: medianPerDelivery(runs.map((r) => r.unique)),
      duplicate: medianPerDelivery(runs.map((r) => r.duplicate)),
      runs,
    };
    return { operations, subrequests };
  } finally {
    await stack.stop();
  }
}

const tree = openSource(process.argv.includes("--ref") ? option("ref", "HEAD") : undefined);
const scratch = mkdtempSync(join(tmpdir(), "imessage-bench-scratch-"));
const results: BenchResults = { measuredAt: new Date().toISOString(), source: tree.label, machine: machine(), settings };
try {
  log(`bench: ${tree.label}, ${results.machine.cores} cores, ${settings.runs} runs per figure`);
  if (sections.has("in-process")) results.inProcess = await measureInProcess(tree.root);
  if (sections.has("load")) results.load = await measureLoad(tree.root, scratch);
  if (sections.has("operations")) Object.assign(results, await measureOperations(tree.root, scratch));
  if (results.operations) {
    const cpuMs = results.load?.unique.ours.cpuMsPerDelivery ?? 0;
    const { unique, duplicate } = results.operations;
    results.cost = {
      usdPerMillionUnique: usdPerMillionDeliveries({ ...unique, cpuMs }),
      usdPerMillionDuplicates: usdPerMillionDeliveries({ ...duplicate, cpuMs: 0 }),
      pricesReadOn: PRICES_READ_ON,
    };
  }
  if (sections.has("size")) results.size = await measureSize(tree.root, scratch, settings.runs);
} finally {
  rmSync(scratch, { recursive: true, force: true });
  tree.dispose();
}

const table = renderTable(results);
console.log(table);
if (out) {
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${out}`);
} else if (write) {
  writeFileSync(join(REPO_ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const written = writeBetweenMarkers(REPO_ROOT, ["README.md", "docs/performance.md"], table);
  log(`wrote bench/results.json and the table into ${written.join(", ")}`);
}
process.exit(0);
