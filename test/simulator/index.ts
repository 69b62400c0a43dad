/**
 * @module Local Spectrum simulator (Node entry): Spectrum Cloud tokens, the iMessage HTTP API, recorder, faults and webhook delivery.
 *
 * Workerd code imports `./client.ts` instead (no node:http).
 */
export { startSimulator } from "./server.ts";
export type { RunningSimulator, StartOptions } from "./server.ts";
export { createSimulator, isDropResponse } from "./app.ts";
export type { Simulator, SimulatorOptions } from "./app.ts";
export { DEFAULT_PROJECTS } from "./cloud.ts";
export { DEMO_GROUP_GUID, World } from "./world.ts";
export * from "./client.ts";
