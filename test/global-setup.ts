/**
 * @module vitest globalSetup (Node): runs the Spectrum simulator on `SIMULATOR_PORT` for the workerd suites.
 */
import process from "node:process";
import { startSimulator } from "./simulator/index.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const port = Number(process.env.SIMULATOR_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("SIMULATOR_PORT is not set: vitest.config.ts chooses it before workerd starts");
  const simulator = await startSimulator({
    port,
    logger: process.env.SIMULATOR_LOG ? (line) => console.log(`[simulator] ${line}`) : undefined,
  });
  return () => simulator.close();
}
