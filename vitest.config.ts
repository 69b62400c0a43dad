import { cloudflarePool, cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { durationsReport } from "./scripts/durations-reporter.ts";
import { withSimulatorPerWorker } from "./test/global-setup.ts";

/** Dependencies the workerd projects import, pre-bundled (not `@chat-adapter/tests`: it imports vitest). */
const PREBUNDLED = [
  "@opentelemetry/api",
  "chat",
  "hono",
  "hono/bearer-auth",
  "hono/http-exception",
  "hono/utils/buffer",
  "zod",
  "libphonenumber-js/min",
  "spectrum-ts",
  "spectrum-ts/authoring",
  "@spectrum-ts/core/webhook",
  "@photon-ai/advanced-imessage/http",
];

/** The Worker's configuration (wrangler.toml) with the test bindings, pointed at a simulator. */
function workerdOptions(simulatorUrl: string) {
  return {
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        IMESSAGE_LOCAL: "false",
        IMESSAGE_PROJECT_ID: "proj_test",
        IMESSAGE_PROJECT_SECRET: "secret_test",
        IMESSAGE_WEBHOOK_SECRET: "whsec_test",
        SPECTRUM_CLOUD_URL: simulatorUrl,
        IMESSAGE_HTTP_ADDRESS: simulatorUrl,
        CRON_SECRET: "cron_test_secret_0123",
        RELAY_SECRET: "relay_test_secret_0123",
        SIMULATOR_URL: simulatorUrl,
        IMESSAGE_REDELIVERY_BASE_MS: "200",
      },
    },
  };
}

/**
 * A project in workerd. Each test file runs in a Miniflare of its own with a simulator of its own
 * (test/global-setup.ts), so files run side by side although the suites count the requests their
 * simulator saw.
 */
function workerdProject(name: string, include: string[], exclude: string[] = []) {
  return {
    plugins: [
      durationsReport(),
      // The pool options of each file's Miniflare come from withSimulatorPerWorker (these are replaced).
      cloudflareTest(workerdOptions("http://127.0.0.1:9")),
      withSimulatorPerWorker(cloudflarePool, workerdOptions),
    ],
    resolve: {
      // spectrum-ts's link previews need cheerio/undici, which workerd cannot load (see wrangler.toml [alias]).
      alias: { "open-graph-scraper": fileURLToPath(new URL("./src/gateway/open-graph-scraper-stub.ts", import.meta.url)) },
    },
    test: {
      name,
      include,
      exclude,
      globalSetup: ["./test/global-setup.ts", "./test/quiet-runtime.ts"],
      testTimeout: 20_000,
      // The spectrum-ts root pulls @opentelemetry/api, which must be pre-bundled for workerd. The other
      // dependencies are pre-bundled too: each test file's fresh Miniflare then imports a few bundles
      // instead of their hundreds of modules one by one (most of a file's start-up time).
      deps: { optimizer: { ssr: { enabled: true, include: PREBUNDLED, rolldownOptions: { external: [/^node:/, /^cloudflare:/, ...builtinModules] } } } },
    },
  };
}

/** The harness's own tests: the simulator, in workerd through the real HTTP client and in process. */
const HARNESS_WORKERD = ["test/simulator.test.ts", "test/simulator-faults.test.ts", "test/simulator-phone.test.ts"];
/** The simulator's reliability instruments (idempotency, attempts, fault switches), in Node. */
const HARNESS_NODE = ["test/reliability/simulator.test.ts"];

/** The package's entry points the bridge imports, resolved to their sources for the bridge's tests. */
const BRIDGE_SOURCE_ALIASES = [
  { find: /^chat-adapter-imessage$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  { find: /^chat-adapter-imessage\/extend$/, replacement: fileURLToPath(new URL("./src/extend.ts", import.meta.url)) },
  { find: /^chat-adapter-imessage\/relay-protocol$/, replacement: fileURLToPath(new URL("./src/gateway/relay-schema.ts", import.meta.url)) },
];

/** Without timings (a fresh clone), these projects' files go first: the slowest to start and to run. */
const START_FIRST = ["workers", "reliability", "e2e"];
/** Start-up of a workerd test file (its own Miniflare and simulator, its imports), added to its test time. */
const WORKERD_START_MS = 1_500;

/**
 * Longest first across projects (vitest's own order runs projects one after another, by name): with
 * files of several projects side by side, the long ones start early and the short ones fill in.
 * Files never timed first ({@link START_FIRST} projects first), then files with a known failure, then
 * by the last run's duration (vitest's cache in node_modules/.vite).
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const expected = (spec: TestSpecification): number => {
      const result = this.ctx.cache.getTestSpecificationResult(spec);
      if (!result) return Number.POSITIVE_INFINITY;
      if (result.failed) return Number.MAX_VALUE;
      return result.duration + (spec.project.config.pool === "cloudflare-pool" ? WORKERD_START_MS : 0);
    };
    const rank = (spec: TestSpecification): number => {
      const index = START_FIRST.indexOf(spec.project.name);
      return index < 0 ? START_FIRST.length : index;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((spec, index) => ({ spec, index, ms: expected(spec), rank: rank(spec) }))
      .sort((a, b) => b.ms - a.ms || a.rank - b.rank || a.index - b.index)
      .map(({ spec }) => spec);
  }
}

/**
 * Two tiers (README "Tests"):
 * - `npm test`: typecheck, then workers (workerd; the Chat SDK contract suites are in it), harness +
 *   harness-node (the simulator's own tests) and local-bridge (Node): about 1.5 min on 2 cores;
 * - `npm run test:slow`: e2e (wrangler dev + Chromium) and reliability (real processes killed, a 35 s
 *   handler, a small `npm run stress`): about 2 min.
 * Every run writes test-results/durations.json (scripts/durations-reporter.ts, a plugin in each project).
 */
export default defineConfig({
  test: {
    // A green run prints test names and counts: console output of passing tests (expected warnings,
    // the demo bot's info lines) is kept back and shown only for tests that fail.
    silent: "passed-only",
    // Files side by side, whatever their project (projects that run together need one value): most of
    // their time is spent waiting on alarms, redeliveries and processes, not on the 2 cores.
    // `npm run test:slow` raises it to 8: its 8 files (wrangler dev each) mostly wait, all at once.
    maxWorkers: 4,
    sequence: { sequencer: LongestFirst },
    projects: [
      workerdProject("workers", ["test/**/*.test.ts"], ["test/e2e/**", "test/reliability/**", ...HARNESS_WORKERD]),
      workerdProject("harness", HARNESS_WORKERD),
      {
        plugins: [durationsReport()],
        test: {
          name: "harness-node",
          environment: "node",
          include: HARNESS_NODE,
        },
      },
      {
        plugins: [durationsReport()],
        // The bridge imports `chat-adapter-imessage` like any user; its tests run it on the sources.
        resolve: { alias: BRIDGE_SOURCE_ALIASES },
        test: {
          name: "local-bridge",
          include: ["local-bridge/test/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [durationsReport()],
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          // wrangler dev starts in 5-15 s; the browser flow waits on the bot several times.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [durationsReport()],
        test: {
          // Exactly once when things die: wrangler dev of the real Worker, killed and restarted, against
          // the simulator's fault switches and a Spectrum-like sender (test/reliability/README.md).
          name: "reliability",
          environment: "node",
          include: ["test/reliability/**/*.test.ts"],
          exclude: HARNESS_NODE,
          // Each file runs its own simulator and wrangler dev on free ports, side by side (root maxWorkers);
          // the 35 s handler scenario and the stress run mostly wait.
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
