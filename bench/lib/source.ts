/**
 * @module bench/lib/source
 * Which version of the adapter the bench measures: the working tree (default), or a commit checked out
 * into a temporary directory (`--ref <commit>`), so a before/after pair can be measured on one machine
 * while the working tree is being edited.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where `package.json` and `wrangler.toml` are). */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A tree of the project to measure. */
export interface SourceTree {
  /** Directory holding `src/`, `durable-objects/`, `wrangler.toml` and a `node_modules` (link). */
  root: string;
  /** `working tree` or the commit's short hash. */
  label: string;
  /** Removes the temporary checkout (nothing for the working tree). */
  dispose(): void;
}

/**
 * The working tree, or `ref` exported with `git archive` into a temporary directory whose
 * `node_modules` links to the repository's.
 *
 * @example
 * const tree = openSource("HEAD~3");
 * try { ... tree.root ... } finally { tree.dispose(); }
 */
export function openSource(ref: string | undefined): SourceTree {
  if (!ref) return { root: REPO_ROOT, label: "working tree", dispose: () => {} };
  const label = execFileSync("git", ["rev-parse", "--short", ref], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  const root = mkdtempSync(join(tmpdir(), `imessage-bench-${label}-`));
  const archive = execFileSync("git", ["archive", "--format=tar", ref], { cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", root], { input: archive });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return { root, label, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
