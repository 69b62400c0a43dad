/**
 * @module adapter/redelivery
 * Retrying a delivery whose handlers failed after the sender already got its 200 (nobody else will):
 * how often, how long to wait, and which failures no retry can fix.
 */
import { AuthenticationError, ValidationError as ServerValidationError } from "@photon-ai/advanced-imessage/http";
import { NotImplementedError } from "chat";
import { ValidationError } from "./errors.ts";

/** Attempts in all (the first included) before a delivery is given up and logged. */
export const MAX_DELIVERY_ATTEMPTS = 6;

/**
 * The wait before the next attempt: `baseMs` × 4^(attempt−1), at most an hour, with ±20 % jitter
 * (30 s, 2 min, 8 min, 32 min, 1 h by default).
 *
 * @example
 * ```ts
 * redeliveryDelayMs(1); // ≈ 30 000
 * ```
 */
export function redeliveryDelayMs(attempt: number, baseMs = 30_000): number {
  const delay = Math.min(baseMs * 4 ** Math.max(attempt - 1, 0), 3_600_000);
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

/**
 * True for failures another attempt cannot fix: bad input (ours, or the iMessage server's
 * `invalid_argument` / `failed_precondition`) or an operation iMessage does not have. Authentication
 * failures are not permanent: a secret can be fixed and the delivery then succeeds.
 */
export function isPermanentFailure(error: unknown): boolean {
  if (error instanceof AuthenticationError) return false;
  return error instanceof ValidationError || error instanceof ServerValidationError || error instanceof NotImplementedError;
}
