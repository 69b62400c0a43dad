/**
 * @module vitest globalSetup (Node): runs the Spectrum simulator on `SIMULATOR_PORT` for the workerd suites.
 * Both workerd projects ("workers" and "harness") list it; they share one simulator, started by the
 * first and closed when the last one's teardown runs (vitest loads this module once per project).
 */
import process from "node:process";
import { startSimulator, type RunningSimulator } from "./simulator/index.ts";

interface Shared {
  users: number;
  simulator: Promise<RunningSimulator>;
}

const KEY = Symbol.for("chat-adapter-imessage.test.simulator");
const holder = globalThis as { [KEY]?: Shared };

export default async function setup(): Promise<() => Promise<void>> {
  const port = Number(process.env.SIMULATOR_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("SIMULATOR_PORT is not set: vitest.config.ts chooses it before workerd starts");
  const shared = (holder[KEY] ??= {
    users: 0,
    simulator: startSimulator({
      port,
      logger: process.env.SIMULATOR_LOG ? (line) => console.log(`[simulator] ${line}`) : undefined,
    }),
  });
  shared.users++;
  await shared.simulator;
  return async () => {
    if (--shared.users > 0) return;
    delete holder[KEY];
    await (await shared.simulator).close();
  };
}
