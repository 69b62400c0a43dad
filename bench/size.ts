/**
 * @module bench/size
 * Size and start: the gzip size of the bundles `wrangler deploy --dry-run` builds for the root Worker
 * and for the template (`examples/worker`, bundled against this checkout as if installed from npm),
 * and the root Worker's startup CPU from `wrangler check startup` (a local CPU profile of the
 * top-level evaluation; sampled time that is not idle, as wrangler reports it).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { activeMs, type CpuProfile } from "./profile-summary.ts";
import { REPO_ROOT } from "./lib/source.ts";
import { median } from "./lib/stats.ts";

const run = promisify(execFile);
const WRANGLER = join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" };

/** Sizes in KiB and the startup CPU in ms. */
export interface SizeAndStart {
  rootGzipKiB: number;
  templateGzipKiB: number;
  startupCpuMs: number;
}

async function bundleGzipKiB(cwd: string, outdir: string): Promise<number> {
  await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  const js = readdirSync(outdir).filter((name) => /\.(m?js|wasm)$/.test(name));
  return js.reduce((total, name) => total + gzipSync(readFileSync(join(outdir, name))).byteLength, 0) / 1024;
}

/**
 * A copy of `examples/worker` whose `node_modules` holds this checkout as `chat-adapter-imessage`
 * beside links to the repository's packages.
 */
function templateCopy(root: string, scratch: string): string {
  const dir = join(scratch, "template");
  cpSync(join(root, "examples/worker"), dir, { recursive: true, filter: (path) => !path.includes("node_modules") });
  const modules = join(dir, "node_modules");
  mkdirSync(modules, { recursive: true });
  for (const name of readdirSync(join(REPO_ROOT, "node_modules"))) {
    if (name !== ".bin" && name !== "chat-adapter-imessage") symlinkSync(join(REPO_ROOT, "node_modules", name), join(modules, name));
  }
  symlinkSync(root, join(modules, "chat-adapter-imessage"), "dir");
  return dir;
}

/**
 * Measures both bundles and the root Worker's startup (median of `startupRuns` profiles) in the
 * checkout `root`, using `scratch` for output.
 *
 * @example
 * const size = await measureSize(REPO_ROOT, scratchDir, 3);
 */
export async function measureSize(root: string, scratch: string, startupRuns: number): Promise<SizeAndStart> {
  const rootGzipKiB = await bundleGzipKiB(root, join(scratch, "root-bundle"));
  // The template imports the package as users get it (its dist): built from this checkout first.
  await run(process.execPath, [join(REPO_ROOT, "node_modules", "tsdown", "dist", "run.mjs"), "--log-level", "warn"], { cwd: root, env });
  const templateGzipKiB = await bundleGzipKiB(templateCopy(root, scratch), join(scratch, "template-bundle"));
  const startups: number[] = [];
  for (let i = 0; i < startupRuns; i++) {
    const profile = join(scratch, `startup-${i}.cpuprofile`);
    await run(process.execPath, [WRANGLER, "check", "startup", "--outfile", profile], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 });
    startups.push(activeMs(JSON.parse(readFileSync(profile, "utf8")) as CpuProfile));
  }
  return { rootGzipKiB, templateGzipKiB, startupCpuMs: median(startups) };
}
