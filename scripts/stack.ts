/**
 * @module scripts/stack
 * The local product in one call: the Spectrum simulator (with the chat page) in this process, and
 * `wrangler dev` of the real Worker in its own process group, wired to each other.
 * `npm start` (scripts/start.mjs) and the end-to-end test both use it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { chatPage, DEMO_CONTACTS } from "../test/simulator/page/serve.ts";
import { startSimulator, type RunningSimulator } from "../test/simulator/server.ts";
import { DEMO_GROUP_GUID } from "../test/simulator/world.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOST = "127.0.0.1";

/** Where `npm start` writes the running stack's addresses, for `test/fixtures/sign.mjs` (removed when it stops). */
export const STACK_FILE = join(ROOT, ".wrangler", "npm-start.json");

/** The demo project every fresh simulator knows, and the secrets the Worker is started with. */
export const DEMO_SECRETS = {
  IMESSAGE_PROJECT_ID: "proj_demo",
  IMESSAGE_PROJECT_SECRET: "secret_demo",
  // The two secrets a webhook registration returns (signingSecret, standardSigningSecret), as users store them.
  IMESSAGE_WEBHOOK_SECRET: "f5551891557aca20dbfa4f43cd34eaca5e16668f9fd5bc06a1f49507a2640572,whsec_HcUVB/nB6XWx7cOw8lIlHULEp/BRziyPWeLJnkCLgTE=",
  CRON_SECRET: "cron_demo_secret_0123",
  RELAY_SECRET: "relay_demo_secret_0123",
  IMESSAGE_USER_NAME: "bot",
} as const;

/** Options of {@link startStack}. */
export interface StackOptions {
  workerPort: number;
  simulatorPort: number;
  /**
   * Where wrangler keeps local KV and Durable Object data, kept between runs (default `.wrangler/state`
   * of the Worker's directory, wrangler's own default): the bot's subscriptions, the delivery ledger.
   */
  persistTo?: string;
  /** Wipe that state first (`npm start -- --fresh`). */
  fresh?: boolean;
  /** Write the running stack's addresses there (`npm start`: {@link STACK_FILE}); removed on stop. */
  stackFile?: string;
  /** Receives wrangler's output and the simulator's request log, line by line. */
  log?: (line: string) => void;
  /** How long to wait for the Worker to answer (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * Directory of another Worker to run instead of this repository's (`npm start -- --worker examples/worker`):
   * wrangler runs there, and `IMESSAGE_USER_NAME` is not set, so that bot is named by its Chat `userName`.
   */
  worker?: string;
  /** The bot's name the chat page suggests mentioning in the demo group (default `bot`). */
  botName?: string;
  /** Wrangler config file (default: wrangler's own lookup from where it runs, `wrangler.toml`). */
  config?: string;
  /** Entry module overriding the config's `main` (the bench's instrumented entry). */
  script?: string;
  /**
   * Register the Worker's webhook with the simulator for outbound echoes and read receipts of every
   * message the bot gets delivered, as Spectrum sends them. `npm start` turns it on; off by default so
   * the bench counts only the deliveries it makes.
   */
  echoes?: boolean;
  /** The inspector's port (default: any free one); `bench/workerd-profile.ts` profiles through it. */
  inspectorPort?: number;
  /** Extra Worker variables (`--var NAME:VALUE`), e.g. the bench's `DEMO_STREAM_ENVELOPES=false`. */
  vars?: Record<string, string>;
}

/** A running stack. */
export interface Stack {
  workerUrl: string;
  simulatorUrl: string;
  /** The chat page. */
  pageUrl: string;
  /** The wrangler state directory in use. */
  persistDir: string;
  /** Whether that state was there from an earlier run (not wiped by `fresh`). */
  stateKept: boolean;
  simulator: RunningSimulator;
  /** Process id of wrangler, leader of the process group that also holds workerd. */
  workerPid: number;
  /** Settles when wrangler exits, for whatever reason (with its exit code, or the signal's name). */
  workerExited: Promise<number | string>;
  /** Stops wrangler (its whole process group) and the simulator; safe to call twice. */
  stop(): Promise<void>;
}

/** Thrown when a port the stack needs is already taken. */
export class PortInUseError extends Error {}

/**
 * Fails with a clear message when `port` cannot be bound on 127.0.0.1.
 *
 * @example
 * await assertPortFree(8787, "the Worker (wrangler dev)", "WORKER_PORT");
 */
export async function assertPortFree(port: number, what: string, envName: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new PortInUseError(`port ${port} for ${what} is already in use: stop whatever listens there, or pick another port with ${envName}=<port>`)
          : error,
      );
    });
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

/**
 * A port nobody listens on right now.
 *
 * @example
 * const port = await freePort();
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The `wrangler dev` arguments: local bindings, the demo secrets as `--var`, everything pointed at the simulator. */
export function wranglerArgs(options: StackOptions, simulatorUrl: string): string[] {
  const { IMESSAGE_USER_NAME, ...secrets } = DEMO_SECRETS;
  const vars: Record<string, string> = {
    ...secrets,
    ...(options.worker ? {} : { IMESSAGE_USER_NAME }),
    SPECTRUM_CLOUD_URL: simulatorUrl,
    IMESSAGE_HTTP_ADDRESS: simulatorUrl,
    ...options.vars,
  };
  return [
    "dev",
    ...(options.script ? [options.script] : []),
    ...(options.config ? ["--config", options.config] : []),
    "--local",
    "--ip",
    HOST,
    "--port",
    String(options.workerPort),
    "--inspector-port",
    String(options.inspectorPort ?? 0),
    "--show-interactive-dev-session=false",
    ...(options.persistTo ? ["--persist-to", options.persistTo] : []),
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
}

function spawnWrangler(args: string[], log: (line: string) => void, cwd = ROOT): ChildProcess {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url)), ...args], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", FORCE_COLOR: "0" },
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) log(`[wrangler] ${line}`);
    });
  }
  return child;
}

/** Kills a process group started with `detached: true` (wrangler and its workerd). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

async function waitForWorker(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `wrangler dev exited (${signal ?? `code ${code}`}) before the Worker answered: see its output above`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      // The Worker runs: a Worker of your own may have no /healthz (its webhook answers a GET with 405).
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`the Worker did not answer ${url}/healthz (any status under 500) within ${timeoutMs / 1000} s`);
}

/**
 * Starts the simulator and `wrangler dev`, and resolves once the Worker answers `/healthz`.
 *
 * @example
 * const stack = await startStack({ workerPort: 8787, simulatorPort: 8788 });
 * console.log(`open ${stack.pageUrl}`);
 * await stack.stop();
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  await assertPortFree(options.workerPort, "the Worker (wrangler dev)", "WORKER_PORT");
  await assertPortFree(options.simulatorPort, "the Spectrum simulator", "SIMULATOR_PORT");
  const workerUrl = `http://${HOST}:${options.workerPort}`;
  const webhookUrl = `${workerUrl}/api/imessage/webhook`;
  const persistDir = options.persistTo ?? join(options.worker ?? ROOT, ".wrangler", "state");
  if (options.fresh) rmSync(persistDir, { recursive: true, force: true });
  const stateKept = existsSync(persistDir) && readdirSync(persistDir).length > 0;
  const simulator = await startSimulator({
    port: options.simulatorPort,
    host: HOST,
    pages: chatPage({
      webhookUrl,
      webhookSecret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
      botName: options.botName ?? DEMO_SECRETS.IMESSAGE_USER_NAME,
      contacts: DEMO_CONTACTS,
      groupGuid: DEMO_GROUP_GUID,
      ...(options.worker ? { ownWorker: relative(ROOT, options.worker) || options.worker } : {}),
      stateKept,
    }),
  });
  if (options.echoes) simulator.webhooks.register({ url: webhookUrl, secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET, echoes: true, receipts: true });
  const child = spawnWrangler(wranglerArgs({ ...options, persistTo: persistDir }, simulator.url), log, options.worker);
  const workerExited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code ?? 0)));
  const forgetStack = (): void => {
    if (!options.stackFile) return;
    try {
      if ((JSON.parse(readFileSync(options.stackFile, "utf8")) as { pid?: number }).pid === process.pid) rmSync(options.stackFile, { force: true });
    } catch {
      // not written, or already gone
    }
  };
  const onExit = (): void => {
    killGroup(child, "SIGKILL");
    forgetStack();
  };
  process.once("exit", onExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.off("exit", onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      // workerd can outlive wrangler in the same group.
      killGroup(child, "SIGKILL");
      forgetStack();
      await simulator.close();
    })();
    return stopped;
  };

  try {
    await waitForWorker(workerUrl, child, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  if (options.stackFile) {
    mkdirSync(dirname(options.stackFile), { recursive: true });
    writeFileSync(options.stackFile, `${JSON.stringify({ pid: process.pid, workerUrl, webhookUrl, simulatorUrl: simulator.url }, null, 2)}\n`);
  }
  return { workerUrl, simulatorUrl: simulator.url, pageUrl: `${simulator.url}/`, persistDir, stateKept, simulator, workerPid: child.pid ?? 0, workerExited, stop };
}
