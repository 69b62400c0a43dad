// `npm start`: the Worker under `wrangler dev` against the local Spectrum simulator, with the chat page.
// Ports: WORKER_PORT (default 8787), SIMULATOR_PORT (default 8788). Ctrl-C stops everything.
// `npm start -- --worker examples/worker` runs that Worker (your own bot) instead of this repository's.
// `npm start -- --no-echoes`: no outbound echoes or read receipts after the bot's messages (on by default, as Spectrum sends them).
// `npm start -- --fresh`: wipe the Worker's local state (.wrangler/state, kept between runs) first.
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import process from "node:process";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `npm start needs Node >= 22.18 (wrangler needs 22, and the simulator is TypeScript run by Node); this is ${process.version}.\n` +
      "Run it through npm (`npm ci && npm start`): npm puts the project's node@22 devDependency first on PATH.",
  );
  process.exit(1);
}

const USAGE = `Usage: npm start [-- <options>]
  --worker <dir>   run the Worker in <dir> (your own bot; its wrangler.toml) instead of this repository's
  --fresh          wipe the Worker's local state (.wrangler/state, kept between runs) first
  --no-echoes      no outbound echoes or read receipts after the bot's messages (on by default, as Spectrum sends them)
  --verbose        print wrangler's output and the simulator's request log
  --help           this text
Ports: WORKER_PORT (default 8787), SIMULATOR_PORT (default 8788). Ctrl-C stops everything.`;

{
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    process.exit(0);
  }
  const known = new Set(["--worker", "--fresh", "--no-echoes", "--verbose"]);
  const unknown = args.filter((arg, i) => !known.has(arg) && args[i - 1] !== "--worker");
  if (unknown.length > 0) {
    console.error(`npm start: unknown option ${unknown.join(" ")}\n${USAGE}`);
    process.exit(1);
  }
}

const { startStack, PortInUseError, STACK_FILE } = await import("./stack.ts");

function port(name, fallback) {
  const value = process.env[name] ?? String(fallback);
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 65535) {
    console.error(`${name} must be a port number (1-65535), got "${value}"`);
    process.exit(1);
  }
  return parsed;
}

const verbose = process.argv.includes("--verbose");

/** `--worker <dir>`: the Worker to run, and the name its Chat instance gives the bot (for the page's hint). */
function ownWorker() {
  const index = process.argv.indexOf("--worker");
  if (index < 0) return undefined;
  const dir = process.argv[index + 1];
  if (!dir || dir.startsWith("--")) {
    console.error("--worker needs the directory of a Worker (its wrangler.toml), e.g. npm start -- --worker examples/worker");
    process.exit(1);
  }
  const worker = resolve(process.env.INIT_CWD ?? process.cwd(), dir);
  if (!existsSync(join(worker, "wrangler.toml")) && !existsSync(join(worker, "wrangler.jsonc")) && !existsSync(join(worker, "wrangler.json"))) {
    console.error(`--worker ${dir}: no wrangler.toml / wrangler.json(c) in ${worker}`);
    process.exit(1);
  }
  if (!existsSync(join(worker, "node_modules"))) {
    console.error(`--worker ${dir}: its dependencies are not installed: run \`npm run setup\` in ${worker} first (its README, Install)`);
    process.exit(1);
  }
  let source = "";
  try {
    source = readFileSync(join(worker, "src", "index.ts"), "utf8");
  } catch {
    // another entry: the page then suggests @bot
  }
  const botName = /\buserName:\s*["']([^"']+)["']/.exec(source)?.[1] ?? "bot";
  return { worker, botName };
}
const own = ownWorker();
const workerPort = port("WORKER_PORT", 8787);
const simulatorPort = port("SIMULATOR_PORT", 8788);
console.log(
  `Starting the Spectrum simulator on ${simulatorPort} and ${own ? own.worker : "the Worker"} (wrangler dev) on ${workerPort}…`,
);

let stack;
try {
  stack = await startStack({
    workerPort,
    simulatorPort,
    // Like Spectrum: the bot's delivered messages come back as outbound echoes, then read receipts.
    echoes: !process.argv.includes("--no-echoes"),
    fresh: process.argv.includes("--fresh"),
    stackFile: STACK_FILE,
    ...(own ? { worker: own.worker, botName: own.botName } : {}),
    log: (line) => {
      // Quiet by default: errors, and the adapter's warnings a user must act on (README, Limitations).
      if (verbose || /error|✘|exception|not crash-safe|Deliveries wait|Rejected webhook/i.test(line)) console.log(line);
    },
  });
} catch (error) {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  if (!(error instanceof PortInUseError) && !verbose) console.error("Run `npm start -- --verbose` to see wrangler's output.");
  process.exit(1);
}

console.log(`
  Chat with the bot:  ${stack.pageUrl}

  Worker:             ${stack.workerUrl}  (webhook: ${stack.workerUrl}/api/imessage/webhook)
  Spectrum simulator: ${stack.simulatorUrl}  (events: ${stack.simulatorUrl}/__sim/events)

  ${own ? `Say hi in a DM, or "@${own.botName} hi" in the demo group.` : `Try "hello", "thanks" and "poll" in a DM, or "@bot hi" in the demo group.`} Ctrl-C stops everything.

  Local state (the bot's subscriptions, the delivery ledger) is kept between runs in ${relative(process.cwd(), stack.persistDir) || "."}:
  ${stack.stateKept ? "this run continues the last one, so the bot still answers in groups it joined then; `npm start -- --fresh` wipes it first." : process.argv.includes("--fresh") ? "wiped (--fresh): this run starts clean." : "this run starts clean; the next one continues it unless you pass --fresh."}
`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping wrangler dev and the simulator…`);
  await stack.stop();
  process.exit(0);
}
stack.workerExited.then(async (how) => {
  if (stopping) return;
  stopping = true;
  console.error(`wrangler dev stopped unexpectedly (${how}); stopping the simulator. Run \`npm start -- --verbose\` to see why.`);
  await stack.stop();
  process.exit(1);
});
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGHUP", () => void shutdown("SIGHUP"));
