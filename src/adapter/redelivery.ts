/**
 * @module adapter/redelivery
 * Retrying a delivery whose handlers failed after the sender already got its 200: nobody else will.
 */
import { NotImplementedError } from "chat";
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { ValidationError } from "./errors.ts";

/** Where failed deliveries wait for their next attempt (the gateway Durable Object on Workers). */
export interface RedeliveryQueue {
  /** Runs `delivery` again after a backoff; `attempt` is the number of attempts made so far. */
  schedule(delivery: VerifiedDelivery, attempt: number, error: string): Promise<void>;
}

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

/** True for failures another attempt cannot fix: bad input or an operation iMessage does not have. */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof ValidationError || error instanceof NotImplementedError;
}
