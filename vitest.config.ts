import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** Picks a free loopback port for the Spectrum simulator before workerd starts. */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const simulatorPort = Number(process.env.SIMULATOR_PORT ?? (await freePort()));
process.env.SIMULATOR_PORT = String(simulatorPort);
const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;

export default defineConfig({
  test: {
    // A green run prints test names and counts: console output of passing tests (expected warnings,
    // the demo bot's info lines) is kept back and shown only for tests that fail.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
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
          }),
        ],
        resolve: {
          // spectrum-ts's link previews need cheerio/undici, which workerd cannot load (see wrangler.toml [alias]).
          alias: { "open-graph-scraper": fileURLToPath(new URL("./src/gateway/open-graph-scraper-stub.ts", import.meta.url)) },
        },
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "test/reliability/**"],
          globalSetup: ["./test/global-setup.ts", "./test/quiet-runtime.ts"],
          testTimeout: 20_000,
          // The spectrum-ts root pulls @opentelemetry/api, which must be pre-bundled for workerd.
          deps: { optimizer: { ssr: { enabled: true, include: ["@opentelemetry/api"] } } },
        },
      },
      {
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
        test: {
          // Exactly once when things die: wrangler dev of the real Worker, killed and restarted, against
          // the simulator's fault switches and a Spectrum-like sender (test/reliability/README.md).
          name: "reliability",
          environment: "node",
          include: ["test/reliability/**/*.test.ts"],
          // Two files at a time: the 90 s handler scenario mostly waits, beside the fault storms (each file
          // runs its own simulator and wrangler dev on free ports).
          maxWorkers: 2,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "local-bridge",
          include: ["local-bridge/test/**/*.test.ts"],
          environment: "node",
        },
      },
    ],
  },
});
