/**
 * @module e2e/packed-package
 * The package as users get it: plain `npm pack` in the repository (its `prepack` builds `dist` with
 * tsdown), plus the child-process helpers the tests that install it share.
 *
 * Packs run one at a time across test files: tsdown empties `dist` before it writes it, so two packs
 * at once could each ship the other's half-written output; and a tree is packed once, its tarball
 * kept in the system's temp folder under a hash of the tree. The lock is a directory (`mkdir` is atomic)
 * holding its owner's pid; a lock whose owner is gone is taken over.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

/**
 * What the tarball is made of: the commit and every uncommitted change (tracked files' diff and the
 * untracked files' names and contents), hashed. Test files that pack the same tree share one pack.
 */
async function treeKey(): Promise<string> {
  const head = (await run("git", ["rev-parse", "HEAD"], ROOT)).stdout;
  const diff = (await run("git", ["diff", "HEAD", "--binary"], ROOT)).stdout;
  const untracked = (await run("git", ["ls-files", "--others", "--exclude-standard", "-z"], ROOT)).stdout.split("\0").filter(Boolean);
  const hash = createHash("sha256").update(head).update(diff);
  for (const file of untracked.sort()) {
    hash.update(file);
    try {
      hash.update(readFileSync(join(ROOT, file)));
    } catch {
      // gone meanwhile
    }
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * `npm pack --pack-destination <destination>` in the repository, as a user does it; the tarball's path.
 * A tarball packed from the same tree (by another test file of this run) is copied instead of packed again.
 */
export async function npmPack(destination: string): Promise<string> {
  const cached = join(tmpdir(), `chat-adapter-imessage-pack-${await treeKey()}.tgz`);
  await withPackLock(async () => {
    if (!existsSync(cached)) {
      const scratch = mkdtempSync(join(tmpdir(), "imessage-pack-"));
      try {
        await timed("npm pack", () => must("npm", ["pack", "--pack-destination", scratch], ROOT));
        copyFileSync(join(scratch, TARBALL), cached);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
  });
  copyFileSync(cached, join(destination, TARBALL));
  return join(destination, TARBALL);
}

/** Links the repository's `@cloudflare/workers-types` into a project (saves a registry download per run). */
export function linkWorkersTypes(dir: string): void {
  mkdirSync(join(dir, "node_modules", "@cloudflare"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules", "@cloudflare", "workers-types"), join(dir, "node_modules", "@cloudflare", "workers-types"));
}
