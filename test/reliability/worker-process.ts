/**
 * @module reliability/worker-process
 * The real Worker under `wrangler dev`, as a process the tests can kill (SIGKILL, SIGTERM) and start
 * again on the same persisted state and port. wrangler and its workerd run in their own process
 * group; everything they print goes to a log file, shown only when a test fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_SECRETS, freePort, wranglerArgs } from "../../scripts/stack.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/** Options of {@link WorkerProcess}. */
export interface WorkerProcessOptions {
  /** The Spectrum simulator the Worker talks to (cloud tokens and the iMessage API). */
  simulatorUrl: string;
  /** Where wrangler keeps local Durable Object and KV data; a restart reuses it. */
  persistTo: string;
  /** Where wrangler's output goes (appended across restarts). */
  logFile: string;
  /** Extra `--var NAME:VALUE` bindings (e.g. `DEMO_SLOW_MS`). */
  vars?: Record<string, string>;
  /** Repository to run (default: this checkout; `RELIABILITY_ROOT` overrides, e.g. an export of another commit). */
  root?: string;
  /** How long to wait for `/healthz` after a start (default 90 s). */
  readyTimeoutMs?: number;
}

/**
 * One Worker under `wrangler dev`, restartable on the same port and state.
 *
 * @example
 * const worker = new WorkerProcess({ simulatorUrl: sim.url, persistTo, logFile });
 * await worker.start();
 * await worker.kill("SIGKILL");
 * await worker.start(); // same port, same Durable Object storage
 */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private port = 0;
  private readonly options: WorkerProcessOptions;
  /** Times the Worker was started. */
  starts = 0;

  constructor(options: WorkerProcessOptions) {
    this.options = options;
    process.once("exit", () => this.signalGroup("SIGKILL"));
    mkdirSync(dirname(options.logFile), { recursive: true });
  }

  /** `http://127.0.0.1:<port>` (the port stays the same across restarts). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get webhookUrl(): string {
    return `${this.url}/api/imessage/webhook`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts wrangler dev and resolves once the Worker answers `/healthz`. */
  async start(): Promise<void> {
    if (this.running) throw new Error("the Worker is already running: kill it first");
    if (this.port === 0) this.port = await freePort();
    this.starts += 1;
    this.note(`--- start #${this.starts} on port ${this.port} ---`);
    const vars = Object.entries(this.options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
    const args = [...wranglerArgs({ workerPort: this.port, simulatorPort: 0, persistTo: this.options.persistTo }, this.options.simulatorUrl), ...vars];
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: this.options.root ?? process.env.RELIABILITY_ROOT ?? REPO,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", FORCE_COLOR: "0" },
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => {
      this.note(`--- wrangler exited (${signal ?? `code ${code}`}) ---`);
      resolve();
    }));
    for (const stream of [child.stdout, child.stderr]) stream?.on("data", (chunk: Buffer) => appendFileSync(this.options.logFile, chunk));
    await this.waitReady(this.options.readyTimeoutMs ?? 90_000);
  }

  /** Sends `signal` to wrangler's whole process group and waits until wrangler and workerd are gone. */
  async kill(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    if (!this.child) return;
    this.note(`--- ${signal} ---`);
    this.signalGroup(signal);
    const timer = setTimeout(() => this.signalGroup("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
    // workerd can outlive wrangler in the group (a SIGTERM lets wrangler go first).
    this.signalGroup("SIGKILL");
    await this.waitPortClosed();
    this.child = undefined;
  }

  /** Calls the gateway's keepalive the way the cron trigger does (token refresh, reconciliation). */
  async cron(): Promise<Response> {
    return await fetch(`${this.url}/api/imessage/gateway`, {
      headers: { authorization: `Bearer ${DEMO_SECRETS.CRON_SECRET}` },
      signal: AbortSignal.timeout(60_000),
    });
  }

  /** The last `lines` lines of wrangler's output. */
  tail(lines = 60): string {
    try {
      return readFileSync(this.options.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no wrangler output)";
    }
  }

  private note(line: string): void {
    appendFileSync(this.options.logFile, `${new Date().toISOString()} ${line}\n`);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child?.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // the group is gone already
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`wrangler dev exited before the Worker answered; its output:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the Worker did not answer ${this.url}/healthz within ${timeoutMs / 1000} s; wrangler's output:\n${this.tail()}`);
  }

  private async waitPortClosed(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(500) });
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
