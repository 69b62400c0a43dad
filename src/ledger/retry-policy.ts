/**
 * @module ledger/retry-policy
 * Retrying a delivery whose handlers failed after the sender already got its 200 (nobody else will):
 * how often and how long to wait. Which failures no retry can fix: `classifyFailure` (./failures.ts).
 */

/** Attempts in all (the first included) before a delivery is given up and logged. */
export const MAX_DELIVERY_ATTEMPTS = 6;

/** The longest wait between two attempts. */
const MAX_DELAY_MS = 3_600_000;

/**
 * The wait before the next attempt: `baseMs` × 4^(attempt−1), at most an hour, with ±20 % jitter
 * (30 s, 2 min, 8 min, 32 min, 1 h by default) — and no less than `atLeastMs` (a server's
 * `Retry-After`, itself capped at an hour). `maxMs` lowers the longest wait (an operator who would
 * rather retry every 5 minutes than wait an hour; test stacks that must settle in seconds).
 *
 * @example
 * ```ts
 * redeliveryDelayMs(1); // ≈ 30 000
 * redeliveryDelayMs(1, 30_000, 120_000); // 120 000
 * ```
 */
export function redeliveryDelayMs(attempt: number, baseMs = 30_000, atLeastMs = 0, maxMs = MAX_DELAY_MS): number {
  const cap = Math.min(maxMs, MAX_DELAY_MS);
  const delay = Math.min(baseMs * 4 ** Math.max(attempt - 1, 0), cap);
  // Jitter, then the cap again: the longest wait is the cap itself, never 20 % past it.
  return Math.max(Math.min(Math.round(delay * (0.8 + Math.random() * 0.4)), cap), Math.min(atLeastMs, MAX_DELAY_MS));
}
