/**
 * @module bench/profile-summary
 * Reads a V8 CPU profile (`node --cpu-prof`, or one saved from the workerd inspector) and prints where
 * the time went: the share of self time by owner (our `src/` and `durable-objects/`, each package in
 * node_modules, Node internals, GC, idle) and the top functions by self time, ours first.
 *
 *   npm exec -- node --cpu-prof --cpu-prof-dir=/tmp/prof bench/in-process.ts --adapter ours --count 3000
 *   npm exec -- node bench/profile-summary.ts /tmp/prof/<file>.cpuprofile [--top 15]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The parts of a V8 `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function, in ms and as a share of the busy (non-idle) time. */
export interface FunctionCost {
  function: string;
  where: string;
  owner: string;
  selfMs: number;
  share: number;
}

/** Time spent in or below one of our functions (the deepest of ours on the stack), and where below it went. */
export interface OurCost {
  function: string;
  where: string;
  totalMs: number;
  share: number;
  /** Milliseconds by the owner of the leaf frame (`ours` is the function's own and its helpers' self time). */
  spentIn: Record<string, number>;
}

/** A profile's self time by owner and by function, and the time each of our functions caused. */
export interface ProfileSummary {
  busyMs: number;
  owners: { owner: string; selfMs: number; share: number }[];
  functions: FunctionCost[];
  /** Each busy sample charged to the deepest frame of our code on its stack (samples with none are not charged). */
  ours: OurCost[];
}

/** Who a script URL belongs to: `ours`, a package name, `node`, or a V8 pseudo-frame such as `(garbage collector)`. */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const packagePath = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packagePath) return packagePath[1] as string;
  if (url.startsWith("node:")) return "node";
  if (/\/(src|durable-objects)\//.test(url)) return "ours";
  return "other";
}

function shortWhere(url: string, line: number): string {
  const own = /\/((?:src|durable-objects)\/.*)$/.exec(url);
  const pkg = /node_modules\/(.*)$/.exec(url);
  return `${own?.[1] ?? pkg?.[1] ?? url}:${line + 1}`;
}

/**
 * Self time by owner and function (µs deltas summed per sampled node; idle and `(program)` excluded from the busy time).
 *
 * @example
 * const summary = summarizeProfile(JSON.parse(readFileSync(path, "utf8")));
 */
export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const ours = new Map<string, OurCost>();
  const chargeToOurs = (leaf: number, leafOwner: string, us: number) => {
    for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame || ownerOf(frame.url, frame.functionName) !== "ours") continue;
      const where = shortWhere(frame.url, frame.lineNumber);
      const key = `${frame.functionName}@${where}`;
      const cost = ours.get(key) ?? { function: frame.functionName || "(anonymous)", where, totalMs: 0, share: 0, spentIn: {} };
      cost.totalMs += us / 1000;
      cost.spentIn[leafOwner] = (cost.spentIn[leafOwner] ?? 0) + us / 1000;
      ours.set(key, cost);
      return;
    }
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, FunctionCost>();
  const owners = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    busyUs += us;
    const owner = ownerOf(frame.url, frame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    chargeToOurs(id, owner, us);
    const where = frame.url ? shortWhere(frame.url, frame.lineNumber) : "";
    const key = `${frame.functionName}@${where}`;
    const cost = functions.get(key) ?? { function: frame.functionName || "(anonymous)", where, owner, selfMs: 0, share: 0 };
    cost.selfMs += us / 1000;
    functions.set(key, cost);
  }
  const share = (us: number) => us / busyUs;
  return {
    busyMs: busyUs / 1000,
    owners: [...owners].map(([owner, us]) => ({ owner, selfMs: us / 1000, share: share(us) })).sort((a, b) => b.selfMs - a.selfMs),
    functions: [...functions.values()].map((f) => ({ ...f, share: share(f.selfMs * 1000) })).sort((a, b) => b.selfMs - a.selfMs),
    ours: [...ours.values()].map((c) => ({ ...c, share: share(c.totalMs * 1000) })).sort((a, b) => b.totalMs - a.totalMs),
  };
}

/**
 * Sampled time not idle, `(program)` (V8 compiling and native work) and GC included: how
 * `wrangler check startup` reports a Worker's startup.
 *
 * @example
 * const startupMs = activeMs(JSON.parse(readFileSync("worker-startup.cpuprofile", "utf8")));
 */
export function activeMs(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  return profile.samples.reduce((total, id, i) => (idle.has(id) ? total : total + (profile.timeDeltas[i] ?? 0)), 0) / 1000;
}

if (import.meta.main) {
  const path = process.argv[2];
  if (!path) throw new Error("usage: node bench/profile-summary.ts <file.cpuprofile> [--top N]");
  const top = Number(process.argv[process.argv.indexOf("--top") + 1]) || 15;
  const summary = summarizeProfile(JSON.parse(readFileSync(path, "utf8")) as CpuProfile);
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  console.log(`busy ${summary.busyMs.toFixed(0)} ms (idle and (program) excluded)\n\nself time by owner:`);
  for (const o of summary.owners.slice(0, top)) console.log(`  ${pct(o.share).padStart(7)}  ${o.selfMs.toFixed(0).padStart(6)} ms  ${o.owner}`);
  console.log("\ntime caused by our functions (each sample charged to the deepest of ours on its stack):");
  for (const c of summary.ours.slice(0, top)) {
    const below = Object.entries(c.spentIn)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([owner, ms]) => `${owner} ${ms.toFixed(0)}`)
      .join(", ");
    console.log(`  ${pct(c.share).padStart(7)}  ${c.totalMs.toFixed(1).padStart(7)} ms  ${c.function}  ${c.where}  (${below})`);
  }
  console.log("\ntop functions in our code (self time):");
  for (const f of summary.functions.filter((f) => f.owner === "ours").slice(0, top)) {
    console.log(`  ${pct(f.share).padStart(7)}  ${f.selfMs.toFixed(1).padStart(7)} ms  ${f.function}  ${f.where}`);
  }
  console.log("\ntop functions overall (self time):");
  for (const f of summary.functions.slice(0, top)) {
    console.log(`  ${pct(f.share).padStart(7)}  ${f.selfMs.toFixed(1).padStart(7)} ms  ${f.function}  ${f.where}  [${f.owner}]`);
  }
}
