/**
 * @module vitest globalSetup (Node): the Spectrum simulators of the workerd suites.
 *
 * Every workerd test file runs in a Miniflare of its own (a pool worker), and each gets a simulator
 * of its own on a free port, started with that Miniflare and bound into it as `SIMULATOR_URL` (see
 * {@link withSimulatorPerWorker}, used by `vitest.config.ts`). The suites count what the simulator
 * saw (`since` marks, request lists), so files running side by side must not share one. This setup's
 * teardown closes any simulator a pool worker left open. `SIMULATOR_LOG=1` prints their logs.
 */
import process from "node:process";
import type { PoolRunnerInitializer, TestProject } from "vitest/node";
import { startSimulator, type RunningSimulator } from "./simulator/index.ts";

const OPEN = Symbol.for("chat-adapter-imessage.test.simulators");
const registry = globalThis as { [OPEN]?: Set<RunningSimulator> };
const open = (registry[OPEN] ??= new Set());

/** Starts a simulator on a free port for one pool worker; `release` closes it. */
export async function startWorkerSimulator(label: string): Promise<{ url: string; release: () => Promise<void> }> {
  const simulator = await startSimulator({
    port: 0,
    logger: process.env.SIMULATOR_LOG ? (line) => console.log(`[simulator ${label}] ${line}`) : undefined,
  });
  open.add(simulator);
  return {
    url: simulator.url,
    release: async () => {
      if (!open.delete(simulator)) return;
      await simulator.close();
    },
  };
}

/**
 * A Vite plugin, listed after `cloudflareTest(...)`: each pool worker of the project starts its own
 * simulator and gets the options `poolOptions(simulatorUrl)` builds; the simulator stops with it.
 *
 * @example
 * plugins: [cloudflareTest(options(placeholder)), withSimulatorPerWorker(cloudflarePool, (url) => options(url))]
 */
export function withSimulatorPerWorker<O>(
  cloudflarePool: (options: () => Promise<O>) => PoolRunnerInitializer,
  poolOptions: (simulatorUrl: string) => O,
): { name: string; configureVitest(context: { project: TestProject }): void } {
  return {
    name: "simulator-per-worker",
    configureVitest({ project }) {
      const config = project.config as unknown as { poolRunner?: PoolRunnerInitializer };
      config.poolRunner = {
        name: "cloudflare-pool",
        createPoolWorker(options) {
          let release: (() => Promise<void>) | undefined;
          const worker = cloudflarePool(async () => {
            const simulator = await startWorkerSimulator(project.name);
            release = simulator.release;
            return poolOptions(simulator.url);
          }).createPoolWorker(options);
          const start = worker.start.bind(worker);
          const stop = worker.stop.bind(worker);
          worker.start = async () => {
            try {
              await start();
            } catch (error) {
              await release?.();
              throw error;
            }
          };
          worker.stop = async () => {
            try {
              await stop();
            } finally {
              await release?.();
            }
          };
          return worker;
        },
      };
    },
  };
}

export default function setup(): () => Promise<void> {
  return async () => {
    const left = [...open];
    open.clear();
    await Promise.all(left.map((simulator) => simulator.close()));
  };
}
