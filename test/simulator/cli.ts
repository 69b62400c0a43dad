/**
 * @module CLI: `node test/simulator/cli.ts [--port N] [--host H] [--quiet]` (Node ≥ 22.18 runs it directly).
 */
import process from "node:process";
import { startSimulator } from "./server.ts";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const quiet = process.argv.includes("--quiet");
const sim = await startSimulator({
  port: Number(option("port") ?? process.env.SIMULATOR_PORT ?? 8790),
  host: option("host"),
  logger: quiet ? undefined : (line) => console.log(line),
});
console.log(`Spectrum simulator listening on ${sim.url}`);
console.log(`  cloud:    ${sim.url}/projects/proj_demo/imessage/tokens (Basic proj_demo:secret_demo)`);
console.log(`  iMessage: ${sim.url}/v1/... (Bearer <issued token> or sim_api_key)`);
console.log(`  control:  ${sim.url}/__sim/requests, /__sim/state, /__sim/events`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
