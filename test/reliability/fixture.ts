/**
 * @module reliability/fixture
 * One reliability stack: the Spectrum simulator in this process, the real Worker under `wrangler dev`
 * on a fresh persisted state, and Spectrum-like senders pointed at it. wrangler's output goes to
 * `test-results/reliability/<name>-<pid>.log` (the pid keeps concurrent runs in one checkout apart).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_SECRETS } from "../../scripts/stack.ts";
import { startSimulator, type RunningSimulator } from "../simulator/server.ts";
import { SpectrumSender, type SenderOptions } from "./sender.ts";
import { WorkerProcess } from "./worker-process.ts";

/** Where logs of the reliability runs go (ignored by git). */
export const OUTPUT_DIR = fileURLToPath(new URL("../../test-results/reliability/", import.meta.url));

/**
 * Bindings every reliability Worker gets: redeliveries after 2 s instead of 30 s and never more than
 * 10 s apart instead of an hour, so CI settles in seconds even for a message that fails four times
 * in a row (a CI run on 2 busy cores saw one wait 129 s for its 5th attempt and be counted lost).
 */
export const FAST_REDELIVERY = { IMESSAGE_REDELIVERY_BASE_MS: "2000", IMESSAGE_REDELIVERY_MAX_MS: "10000" } as const;

/** A running reliability stack. */
export interface ReliabilityStack {
  sim: RunningSimulator;
  worker: WorkerProcess;
  /** A sender with Spectrum's policy aimed at the Worker's webhook route. */
  sender(options?: Omit<SenderOptions, "url" | "secret">): SpectrumSender;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the simulator and the Worker.
 *
 * @example
 * const stack = await startReliabilityStack("faults", { vars: FAST_REDELIVERY });
 * const sender = stack.sender({ concurrency: 8 });
 */
export async function startReliabilityStack(name: string, options: { vars?: Record<string, string> } = {}): Promise<ReliabilityStack> {
  const sim = await startSimulator({ port: 0 });
  const persistTo = mkdtempSync(join(tmpdir(), `imessage-reliability-${name}-`));
  const logFile = join(OUTPUT_DIR, `${name}-${process.pid}.log`);
  const worker = new WorkerProcess({ simulatorUrl: sim.url, persistTo, logFile, vars: options.vars });
  try {
    await worker.start();
  } catch (error) {
    await sim.close();
    throw error;
  }
  return {
    sim,
    worker,
    logFile,
    sender: (senderOptions = {}) => new SpectrumSender({ url: worker.webhookUrl, secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET, ...senderOptions }),
    async stop() {
      await worker.kill("SIGKILL");
      await sim.close();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

/** Text to print when a scenario fails: where the log is, and its last lines. */
export function failureReport(stack: ReliabilityStack | undefined): string {
  if (!stack) return "the reliability stack did not start";
  return `wrangler output: ${stack.logFile}\n--- last lines ---\n${stack.worker.tail(80)}`;
}
