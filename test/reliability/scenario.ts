/**
 * @module reliability/scenario
 * A storm of inbound DMs: each message is put into the simulated server's history (what the
 * reconciliation poll can find) and delivered by the Spectrum-like sender, with exact duplicates
 * and further registrations as asked; then the harness waits for the replies and counts.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ingestEnvelope } from "../simulator/inbound.ts";
import type { RunningSimulator } from "../simulator/server.ts";
import { buildEnvelope } from "../simulator/webhook.ts";
import { countScenario, formatCounts, messageToken, repliesByToken, type Counts } from "./counts.ts";
import type { DeliveryReport, SpectrumSender } from "./sender.ts";

/** What to send. */
export interface StormPlan {
  /** Three digits, unique per scenario of a run: scopes chats (`any;-;+1<code>…`) and tokens. */
  code: string;
  /** Distinct messages. */
  count: number;
  /** Share of messages delivered a second time, byte for byte (same webhook id + message id). */
  duplicateRate?: number;
  /** Registrations of the Worker's URL: each one delivers every message with its own webhook id (default 1). */
  registrations?: number;
  /** Messages per conversation (default 1: every message in its own DM). */
  perChat?: number;
  /** Seed of the plan's choices (which messages are duplicated, and the delivery order). */
  seed?: number;
}

/** How to wait for the replies. */
export interface SettleOptions {
  /** Give up waiting for missing replies after this long (default 60 s). */
  timeoutMs?: number;
  /** Once every message has a reply and no send is in flight, keep watching this long for doubles (default 6 s). */
  quietMs?: number;
  /** Called every second while waiting (e.g. a cron tick). */
  tick?: () => Promise<void>;
}

/** A planned storm: envelopes and the order their deliveries start in. */
export interface Storm {
  code: string;
  /** message id → token */
  tokens: Map<string, string>;
  deliveries: { body: string; webhookId: string; messageId: string; first: boolean }[];
  /** The chat GUID prefix every chat of this storm starts with. */
  chatPrefix: string;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * Plans the deliveries of a storm (no I/O).
 *
 * @example
 * const storm = planStorm({ code: "201", count: 200, duplicateRate: 0.3 });
 */
export function planStorm(plan: StormPlan): Storm {
  const random = seeded(plan.seed ?? Number(plan.code) * 31 + plan.count);
  const perChat = plan.perChat ?? 1;
  const registrations = plan.registrations ?? 1;
  const chatPrefix = `any;-;+1${plan.code}`;
  const tokens = new Map<string, string>();
  const keyed: { key: number; body: string; webhookId: string; messageId: string; first: boolean }[] = [];
  for (let i = 0; i < plan.count; i++) {
    const token = messageToken(plan.code, i);
    const address = `+1${plan.code}${String(Math.floor(i / perChat)).padStart(6, "0")}`;
    const messageId = `msg-${token}`;
    const envelope = buildEnvelope({ chatGuid: `any;-;${address}`, sender: address, text: `hello ${token}`, messageId });
    const body = JSON.stringify(envelope);
    tokens.set(messageId, token);
    for (let r = 0; r < registrations; r++) {
      const webhookId = `wh_${token}_${r}`;
      const key = i + random() * 0.5 + r * random() * 8;
      keyed.push({ key, body, webhookId, messageId, first: r === 0 });
      if (random() < (plan.duplicateRate ?? 0)) keyed.push({ key: key + random() * 16, body, webhookId, messageId, first: false });
    }
  }
  keyed.sort((a, b) => a.key - b.key);
  return { code: plan.code, tokens, chatPrefix, deliveries: keyed.map(({ key: _key, ...rest }) => rest) };
}

/** Options of {@link runStorm}. */
export interface RunOptions {
  sim: RunningSimulator;
  sender: SpectrumSender;
  /** Called after each delivery that ended, with how many have ended (e.g. to kill the Worker mid-storm). */
  onDeliveryEnded?: (ended: number, total: number) => void;
  /** Real time between the start of two consecutive deliveries (default 0: as fast as the sender's slots allow). */
  spacingMs?: number;
  /** Receives each delivery's report as it ends (to count a run that is interrupted). */
  ended?: DeliveryReport[];
}

/** Sends a storm and returns the sender's reports (all deliveries ended: accepted, refused or out of attempts). */
export async function sendStorm(storm: Storm, options: RunOptions): Promise<DeliveryReport[]> {
  let ended = 0;
  const running: Promise<DeliveryReport>[] = [];
  for (const delivery of storm.deliveries) {
    if (delivery.first) {
      const envelope = JSON.parse(delivery.body) as Parameters<typeof ingestEnvelope>[1];
      const stored = ingestEnvelope(options.sim.world(), envelope);
      if (stored) options.sim.events.emit({ type: "inbound.message", chatGuid: stored.chatGuid, message: options.sim.world().messageJson(stored) });
    }
    running.push(
      options.sender.deliver(delivery.body, delivery.webhookId, delivery.messageId).then((report) => {
        ended += 1;
        options.ended?.push(report);
        options.onDeliveryEnded?.(ended, storm.deliveries.length);
        return report;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, options.spacingMs ?? 0));
  }
  return await Promise.all(running);
}

/**
 * Waits until every message of the storm has a reply, the server has answered every send of its
 * chats (hangs included), and nothing has changed for the quiet time; or until the timeout.
 */
export async function settle(storm: Storm, sim: RunningSimulator, options: SettleOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const quietMs = options.quietMs ?? 6_000;
  let lastActivity = "";
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const delivered = sim.sends.delivered({ chatPrefix: storm.chatPrefix });
    const inFlight = sim.sends.inFlight(storm.chatPrefix);
    const activity = `${delivered.length}/${sim.sends.attempts({ chatPrefix: storm.chatPrefix }).length}/${inFlight}`;
    if (activity !== lastActivity) {
      lastActivity = activity;
      lastChange = Date.now();
    }
    const replies = repliesByToken(delivered);
    const complete = [...storm.tokens.values()].every((token) => (replies.get(token) ?? 0) > 0);
    if (complete && inFlight === 0 && Date.now() - lastChange >= quietMs) return;
    await options.tick?.();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Counts what happened to a storm's messages so far. */
export function countStorm(storm: Storm, sim: RunningSimulator, reports: DeliveryReport[], startedAt: number): Counts {
  return countScenario({
    tokens: storm.tokens,
    reports,
    attempts: sim.sends.attempts({ chatPrefix: storm.chatPrefix }),
    delivered: sim.sends.delivered({ chatPrefix: storm.chatPrefix }),
    seconds: (Date.now() - startedAt) / 1000,
  });
}

const COUNTS_FILE = fileURLToPath(new URL("../../test-results/reliability/counts.txt", import.meta.url));

/**
 * Prints a scenario's line and keeps it in `test-results/reliability/counts.txt`. Written to stdout
 * directly: the suite's `silent: "passed-only"` holds back console output of passing tests.
 */
export function reportCounts(name: string, counts: Counts): void {
  const line = formatCounts(name, counts);
  process.stdout.write(`${line}\n`);
  mkdirSync(join(COUNTS_FILE, ".."), { recursive: true });
  appendFileSync(COUNTS_FILE, `${new Date().toISOString()} ${line}\n`);
}

/**
 * For up to `limit` doubled and lost messages, what the server saw of their sends (outcome, status,
 * `clientMessageId`, header key): the evidence to start from when a scenario fails.
 */
export function explainFailures(storm: Storm, sim: RunningSimulator, limit = 5): string {
  const attempts = sim.sends.attempts({ chatPrefix: storm.chatPrefix }).filter((a) => a.text !== undefined);
  const replies = repliesByToken(sim.sends.delivered({ chatPrefix: storm.chatPrefix }));
  const describe = (token: string): string =>
    attempts
      .filter((a) => a.text?.includes(token))
      .map((a) => `${new Date(a.at).toISOString().slice(11, 23)} ${a.outcome} ${a.status} cmid=${a.clientMessageId ?? "-"} key=${a.idempotencyKey ?? "-"}`)
      .join(" | ") || "no send reached the server";
  const tokens = [...storm.tokens.values()];
  const doubled = tokens.filter((t) => (replies.get(t) ?? 0) > 1).slice(0, limit);
  const lost = tokens.filter((t) => (replies.get(t) ?? 0) === 0).slice(0, limit);
  return [...doubled.map((t) => `  doubled ${t}: ${describe(t)}`), ...lost.map((t) => `  lost ${t}: ${describe(t)}`)].join("\n");
}

/** Sends, settles, counts and prints one line (and, when messages were lost or doubled, their sends). */
export async function runScenario(name: string, storm: Storm, options: RunOptions & { settle?: SettleOptions }): Promise<Counts> {
  const startedAt = Date.now();
  const reports = await sendStorm(storm, options);
  await settle(storm, options.sim, options.settle);
  const counts = countStorm(storm, options.sim, reports, startedAt);
  reportCounts(name, counts);
  if (counts.lost > 0 || counts.doubled > 0) process.stdout.write(`${explainFailures(storm, options.sim)}\n`);
  return counts;
}
