/**
 * @module reliability/counts
 * The numbers a scenario is judged by: `sent / unique / accepted / handled / delivered / lost / doubled`.
 */
import type { DeliveredMessage, SendAttempt } from "../simulator/types.ts";
import type { DeliveryReport } from "./sender.ts";

/** What one scenario measured. */
export interface Counts {
  /** Deliveries the sender started (originals, exact duplicates and other registrations; retries not counted). */
  sent: number;
  /** Distinct messages. */
  unique: number;
  /** Messages with at least one delivery answered 2xx. */
  accepted: number;
  /** Messages the bot tried to answer: a send naming the message's token reached the server. */
  handled: number;
  /** Messages with at least one reply a phone would show. */
  delivered: number;
  /** Messages with no reply after the settle time (every message was sent, so each one owes a reply). */
  lost: number;
  /** Messages with more than one reply. */
  doubled: number;
  /** Messages whose every delivery ran out of attempts or was refused for good (Spectrum keeps no dead letters). */
  gaveUp: number;
  /** HTTP attempts the sender made to the Worker. */
  webhookAttempts: number;
  /** Requests the bot made to the iMessage send routes for these messages. */
  sendAttempts: number;
  /** Seconds from the first delivery to the end of the settle time. */
  seconds: number;
}

/** Matches the tokens {@link messageToken} makes. */
export const TOKEN_PATTERN = /\br\d{3}x\d{6}\b/;

/**
 * The unique token of message `index` of scenario `code` (three digits); it travels in the message
 * text and comes back in the bot's `You said: …` reply.
 *
 * @example
 * messageToken("201", 42); // "r201x000042"
 */
export function messageToken(code: string, index: number): string {
  return `r${code}x${String(index).padStart(6, "0")}`;
}

function tokenOf(text: string | undefined): string | undefined {
  return text ? TOKEN_PATTERN.exec(text)?.[0] : undefined;
}

/** Replies per token, from what the server delivered. */
export function repliesByToken(delivered: DeliveredMessage[]): Map<string, number> {
  const replies = new Map<string, number>();
  for (const message of delivered) {
    const token = message.kind === "message" ? tokenOf(message.text) : undefined;
    if (token) replies.set(token, (replies.get(token) ?? 0) + 1);
  }
  return replies;
}

/** Computes the counts of a scenario whose messages carry `tokens` (message id → token). */
export function countScenario(input: {
  tokens: Map<string, string>;
  reports: DeliveryReport[];
  attempts: SendAttempt[];
  delivered: DeliveredMessage[];
  seconds: number;
}): Counts {
  const accepted = new Set(input.reports.filter((r) => r.end === "accepted").map((r) => r.messageId));
  const ownTokens = new Set(input.tokens.values());
  const handled = new Set<string>();
  let sendAttempts = 0;
  for (const attempt of input.attempts) {
    const token = tokenOf(attempt.text);
    if (!token || !ownTokens.has(token)) continue;
    handled.add(token);
    sendAttempts += 1;
  }
  const replies = repliesByToken(input.delivered);
  let delivered = 0;
  let doubled = 0;
  for (const token of ownTokens) {
    const n = replies.get(token) ?? 0;
    if (n > 0) delivered += 1;
    if (n > 1) doubled += 1;
  }
  return {
    sent: input.reports.length,
    unique: input.tokens.size,
    accepted: accepted.size,
    handled: handled.size,
    delivered,
    lost: input.tokens.size - delivered,
    doubled,
    gaveUp: input.tokens.size - accepted.size,
    webhookAttempts: input.reports.reduce((n, r) => n + r.attempts.length, 0),
    sendAttempts,
    seconds: input.seconds,
  };
}

/**
 * One line per scenario.
 *
 * @example
 * formatCounts("storm", counts);
 * // "storm: sent 390 / unique 300 / accepted 300 / handled 300 / delivered 300 / lost 0 / doubled 0 (gave up 0, 391 webhook attempts, 612 send attempts, 21.4 s)"
 */
export function formatCounts(name: string, c: Counts): string {
  return (
    `${name}: sent ${c.sent} / unique ${c.unique} / accepted ${c.accepted} / handled ${c.handled} / delivered ${c.delivered} / ` +
    `lost ${c.lost} / doubled ${c.doubled} (gave up ${c.gaveUp}, ${c.webhookAttempts} webhook attempts, ${c.sendAttempts} send attempts, ${c.seconds.toFixed(1)} s)`
  );
}
