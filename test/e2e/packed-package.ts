/**
 * @module e2e/packed-package
 * The package as users get it: plain `npm pack` in the repository (its `prepare` builds `dist` with
 * tsdown), plus the child-process helpers the tests that install it share.
 *
 * Packs run one at a time across test files: tsdown empties `dist` before it writes it, so two packs
 * at once could each ship the other's half-written output. The lock is a directory (`mkdir` is atomic)
 * holding its owner's pid; a lock whose owner is gone is taken over.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
export const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
/** What `npm pack` names the tarball (and what examples/worker/package.json depends on). */
export const TARBALL = `${PACKAGE.name}-${PACKAGE.version}.tgz`;

export interface Run {
  ok: boolean;
  stdout: string;
  stderr: string;
  output: string;
}

/** Runs a command to its end; `env` adds to this process's environment. */
export async function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = { ...process.env, FORCE_COLOR: "0", WRANGLER_SEND_METRICS: "false", ...extraEnv };
  return await new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ ok: !error, stdout, stderr, output: `${stdout}${stderr}` }),
    );
  });
}

export async function must(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const result = await run(command, args, cwd, extraEnv);
  if (!result.ok) throw new Error(`${[command, ...args].join(" ")} failed in ${cwd}:\n${result.output}`);
  return result.output;
}

/** Runs a step and prints how long it took (the suite must stay fast on 2 cores). */
export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    console.log(`${step}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** A fresh directory under the system's temp folder, which is outside the repository. */
export function tempProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!relative(ROOT, dir).startsWith("..")) throw new Error(`${dir} is inside the repository: set TMPDIR to a folder outside it`);
  return dir;
}

function ownerAlive(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, "pid"), "utf8")), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function withPackLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `chat-adapter-imessage-pack-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock without a pid file is being written this instant: wait for it like a live one.
      if (readdirSync(lock).includes("pid") && !ownerAlive(lock)) rmSync(lock, { recursive: true, force: true });
      else await delay(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** `npm pack --pack-destination <destination>` in the repository, as a user does it; the tarball's path. */
export async function npmPack(destination: string): Promise<string> {
  await withPackLock(() => timed("npm pack", () => must("npm", ["pack", "--pack-destination", destination], ROOT)));
  return join(destination, TARBALL);
}

/** Links the repository's `@cloudflare/workers-types` into a project (saves a registry download per run). */
export function linkWorkersTypes(dir: string): void {
  mkdirSync(join(dir, "node_modules", "@cloudflare"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules", "@cloudflare", "workers-types"), join(dir, "node_modules", "@cloudflare", "workers-types"));
}
