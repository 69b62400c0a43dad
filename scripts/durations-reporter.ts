/**
 * @module scripts/durations-reporter
 * A vitest reporter that writes `test-results/durations.json` after every run, and prints nothing:
 * per project the sum of its files' durations, when its first file started and its last ended, its
 * files, tests and failures; per file its duration, tests and failures. The {@link durationsReport}
 * plugin (in each project of `vitest.config.ts`) adds it, so a `--reporter` on the command line does
 * not drop it. Projects a run did not include keep their entry from an earlier run (each entry
 * carries `at`), so `npm test` then `npm run test:slow` leaves both tiers in the file.
 *
 * ```json
 * { "updatedAt": "…", "lastRun": { "projects": ["workers"], "wallMs": 61234, "reason": "passed", "unhandledErrors": 0 },
 *   "projects": { "workers": { "at": "…", "durationMs": 70312, "startedAfterMs": 2310, "finishedAfterMs": 60110, "files": 34, "tests": 412, "failures": 0, "skipped": 0,
 *     "fileList": [{ "file": "test/dedupe.test.ts", "durationMs": 17586, "tests": 25, "failures": 0, "skipped": 0 }] } } }
 * ```
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest, VitestPluginContext } from "vitest/node";

/** One test file's figures. */
export interface FileDurations {
  file: string;
  /** Environment setup, import and collection, setup files, tests and hooks (ms). */
  durationMs: number;
  tests: number;
  failures: number;
  skipped: number;
}

/** One project's figures in one run. */
export interface ProjectDurations {
  at: string;
  /** Sum of its files' durations (ms); files run side by side, so this exceeds the time it took. */
  durationMs: number;
  /** From the start of the run to the start of its first file (ms). */
  startedAfterMs: number;
  /** From the start of the run to the end of its last file (ms). */
  finishedAfterMs: number;
  files: number;
  tests: number;
  failures: number;
  skipped: number;
  fileList: FileDurations[];
}

/** The file's shape. */
export interface DurationsReport {
  updatedAt: string;
  lastRun: { projects: string[]; wallMs: number; reason: TestRunEndReason; unhandledErrors: number };
  projects: Record<string, ProjectDurations>;
}

/** `test-results/durations.json` under the root, written after every run. */
export default class DurationsReporter implements Reporter {
  private root = process.cwd();
  /** Names of the projects in the config; entries of other (renamed, removed) projects are dropped. */
  private configured = new Set<string>();
  private runStart = 0;
  private readonly starts = new Map<string, number>();
  private readonly ends = new Map<string, number>();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    const projects = (vitest.config as { projects?: unknown[] }).projects ?? [];
    for (const project of projects) {
      const name = (project as { test?: { name?: unknown } } | undefined)?.test?.name;
      if (typeof name === "string") this.configured.add(name);
    }
  }

  onTestRunStart(): void {
    this.runStart = performance.now();
    this.starts.clear();
    this.ends.clear();
  }

  onTestModuleStart(module: TestModule): void {
    this.starts.set(module.moduleId, performance.now() - this.runStart);
  }

  onTestModuleEnd(module: TestModule): void {
    this.ends.set(module.moduleId, performance.now() - this.runStart);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const file = join(this.root, "test-results", "durations.json");
    const at = new Date().toISOString();
    const projects: Record<string, ProjectDurations> = {};
    for (const module of modules) {
      const name = module.project.name || "default";
      const project = (projects[name] ??= { at, durationMs: 0, startedAfterMs: Number.POSITIVE_INFINITY, finishedAfterMs: 0, files: 0, tests: 0, failures: 0, skipped: 0, fileList: [] });
      const d = module.diagnostic();
      let tests = 0;
      let failures = module.errors().length;
      let skipped = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === "failed") failures++;
        else if (state === "skipped") skipped++;
      }
      const durationMs = Math.round(d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration + d.duration);
      project.fileList.push({ file: relative(this.root, module.moduleId), durationMs, tests, failures, skipped });
      project.files++;
      project.durationMs += durationMs;
      project.startedAfterMs = Math.min(project.startedAfterMs, Math.round(this.starts.get(module.moduleId) ?? 0));
      project.finishedAfterMs = Math.max(project.finishedAfterMs, Math.round(this.ends.get(module.moduleId) ?? 0));
      project.tests += tests;
      project.failures += failures;
      project.skipped += skipped;
    }
    for (const project of Object.values(projects)) project.fileList.sort((a, b) => b.durationMs - a.durationMs);
    const report: DurationsReport = {
      updatedAt: at,
      lastRun: { projects: Object.keys(projects).sort(), wallMs: Math.round(performance.now() - this.runStart), reason, unhandledErrors: unhandledErrors.length },
      projects: { ...previousProjects(file, this.configured), ...projects },
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  }
}

const MARK = Symbol.for("chat-adapter-imessage.durations-reporter");

/**
 * A plugin for each project of `vitest.config.ts`: adds one {@link DurationsReporter} to the run's
 * reporters, whichever reporters the config or the command line chose.
 */
export function durationsReport(): { name: string; configureVitest(context: VitestPluginContext): void } {
  return {
    name: "durations-report",
    configureVitest({ vitest }) {
      const reporters = vitest.config.reporters as unknown[];
      if (reporters.some((reporter) => typeof reporter === "object" && reporter !== null && MARK in reporter)) return;
      reporters.push(Object.assign(new DurationsReporter(), { [MARK]: true }));
    },
  };
}

/** The projects of the file an earlier run wrote that are still configured (all when unknown), or none. */
function previousProjects(file: string, configured: Set<string>): Record<string, ProjectDurations> {
  try {
    const previous = (JSON.parse(readFileSync(file, "utf8")) as Partial<DurationsReport>).projects ?? {};
    return Object.fromEntries(Object.entries(previous).filter(([name]) => configured.size === 0 || configured.has(name)));
  } catch {
    return {};
  }
}
