/**
 * @module ledger/failures
 * One taxonomy of failures, by what fixes them. `permanent`: only a person can fix it (a
 * configuration, the input, the recipient's opt-in, the plan) — another attempt would fail the same
 * way, so the delivery becomes a dead letter at once, with a reason that says what to do.
 * `transient`: time fixes it (5xx, timeouts, lost connections, rate limits, the token endpoint
 * being down) — the ledger tries again on its schedule, no sooner than a `Retry-After` asked.
 */
import {
  AuthenticationError,
  IMessageError,
  NotFoundError,
  RateLimitError,
  ValidationError as ServerValidationError,
} from "@photon-ai/advanced-imessage/http";
import { NotImplementedError, RateLimitError as ChatRateLimitError } from "chat";
import { CloudAuthError, CloudUnavailableError } from "../transport/cloud-token.ts";
import { ValidationError } from "../core/errors.ts";

/** A delivery whose every attempt was cut off by the isolate dying (e.g. a handler that exhausts memory): permanent. */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  constructor(attempts: number) {
    super(`${attempts} attempt(s) started and none finished: the isolate died during each`);
  }
}

/** An error in one line, bounded (a message may quote a huge value from the envelope). */
export function describeError(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1000);
}

/** What {@link classifyFailure} decides about one failure. */
export interface FailureClass {
  kind: "permanent" | "transient";
  /** What happened and what to do, for logs and dead letters. */
  reason: string;
  /** The server asked for at least this long before the next attempt (`Retry-After`). */
  retryAfterMs?: number;
}

/** gRPC status codes the HTTP client keeps on its errors (`grpcCode`). */
const GRPC = { unimplemented: 12, permissionDenied: 7, unauthenticated: 16 } as const;

/** `errorCode`s of a `RateLimitError` that are throttles: they pass with time. */
const THROTTLES = new Set([
  "dailyLimitExceeded",
  "uploadRateExceeded",
  "contentDuplicateExceeded",
  "recipientCoolingDown",
  "burstRateExceeded",
  "newContactThrottled",
  "sendReceiveRatioExceeded",
]);

/** `errorCode`s of an `AuthenticationError` that concern the token, not the recipient. */
const TOKEN_CODES = new Set(["unauthenticated", "tokenExpired", "tokenBlocked"]);

export const NOT_OPTED_IN =
  "the recipient has not opted in to your shared iMessage line (HTTP 403 permission_denied): the recipient must text your Spectrum number first, or be invited (one invite per user per 24 h); you can also register them with POST /projects/{id}/users {type: \"shared\", phoneNumber}. Replay the dead letter once they have";
export const USER_LIMIT =
  "your Spectrum plan's user limit is reached (RESOURCE_EXHAUSTED): no message reaches a new recipient until you upgrade the plan or remove users; replay the dead letter afterwards";
export const BAD_CREDENTIALS =
  "the iMessage server refused the credentials (HTTP 401/403): check IMESSAGE_PROJECT_ID and IMESSAGE_PROJECT_SECRET (Spectrum Cloud) or IMESSAGE_API_KEY (self-hosted server), then replay the dead letter";

function described(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function permanent(reason: string, error: unknown): FailureClass {
  return { kind: "permanent", reason: `${reason} [${described(error)}]` };
}

function transient(error: unknown, retryAfterMs?: number): FailureClass {
  return { kind: "transient", reason: described(error), ...(retryAfterMs !== undefined && retryAfterMs > 0 ? { retryAfterMs } : {}) };
}

/** A 403 the middleware answered in its own contract (`{code: "permission_denied"}`), not a proxy's bare 403. */
function isRecipientDenied(error: AuthenticationError): boolean {
  return error.grpcCode === GRPC.permissionDenied && error.source !== "intermediary" && !TOKEN_CODES.has(error.code);
}

/** A rate limit no wait lifts: the plan's user limit (the server marks it not retryable and asks for no wait). */
function isUserLimit(error: RateLimitError): boolean {
  if (error.code === "recipientLimitExceeded") return true;
  return !error.retryable && error.retryAfter === undefined && !THROTTLES.has(error.code);
}

function classifyIMessage(error: IMessageError): FailureClass {
  if (error instanceof AuthenticationError) {
    // An expired token is no bad credential: the next attempt gets a fresh one from the token source.
    if (error.code === "tokenExpired") return transient(error, error.retryAfter);
    return permanent(isRecipientDenied(error) ? NOT_OPTED_IN : BAD_CREDENTIALS, error);
  }
  if (error instanceof RateLimitError) return isUserLimit(error) ? permanent(USER_LIMIT, error) : transient(error, error.retryAfter);
  if (error instanceof ServerValidationError) {
    return permanent("the iMessage server refused the request as invalid (HTTP 400): fix what its message names; the same request would be refused again", error);
  }
  if (error instanceof NotFoundError) {
    return permanent("the iMessage server does not know the chat, message or attachment (HTTP 404): check the thread id and the line it belongs to", error);
  }
  if (error.grpcCode === GRPC.unimplemented) {
    return permanent("the iMessage server does not implement this operation (HTTP 501)", error);
  }
  // ConnectionError (502, 503, 504, timeouts, network) and any other server error (500).
  return transient(error, error.retryAfter);
}

/**
 * Decides whether another attempt can fix `error` (following `cause` through wrappers that are not
 * classified themselves). Unknown errors — a handler's own bug, a fetch that failed — are transient:
 * the ledger's attempt budget bounds them.
 *
 * @example
 * ```ts
 * const failure = classifyFailure(error);
 * if (failure.kind === "permanent") bury(key, failure.reason);
 * else retryAt(key, Date.now() + Math.max(backoff, failure.retryAfterMs ?? 0));
 * ```
 */
export function classifyFailure(error: unknown): FailureClass {
  for (let current = error, depth = 0; depth < 5; depth++) {
    if (current instanceof IMessageError) {
      const found = classifyIMessage(current);
      return current === error ? found : { ...found, reason: `${found.reason} (via ${described(error)})` };
    }
    if (current instanceof CloudUnavailableError) return transient(error, current.retryAfterMs);
    if (current instanceof CloudAuthError) return permanent("Spectrum Cloud refused the project", error);
    if (current instanceof ValidationError) return permanent("the adapter refused the request (configuration or input)", error);
    if (current instanceof NotImplementedError) return permanent("iMessage cannot do this operation", error);
    if (current instanceof ChatRateLimitError) return transient(error, current.retryAfterMs);
    if (!(current instanceof Error) || current.cause === undefined) break;
    current = current.cause;
  }
  return transient(error);
}
