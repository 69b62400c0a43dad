/**
 * @module Error answers in the iMessage HTTP middleware's contract.
 *
 * The real client (`@photon-ai/advanced-imessage/http`) decodes an error body
 * `{ code, errorCode, message, retryable, context, source, requestId }` where
 * `code` is a lower-snake gRPC status name; it picks the error class from
 * `code` (unauthenticated/permission_denied → AuthenticationError, not_found →
 * NotFoundError, resource_exhausted → RateLimitError, invalid_argument/
 * failed_precondition → ValidationError, unavailable/deadline_exceeded →
 * ConnectionError) and retries only when `retryable` is true.
 */

/** gRPC status names used in the `code` field, with the HTTP status the middleware answers with. */
export const HTTP_STATUS_BY_CODE = {
  invalid_argument: 400,
  failed_precondition: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  deadline_exceeded: 504,
} as const;

export type GrpcCodeName = keyof typeof HTTP_STATUS_BY_CODE;

/** A request the simulated server refuses; turned into an error response by the app. */
export class SimError extends Error {
  readonly code: GrpcCodeName;
  readonly errorCode: string;
  readonly context: Record<string, string>;
  readonly retryable: boolean;
  readonly source: string;

  constructor(
    code: GrpcCodeName,
    errorCode: string,
    message: string,
    options: { context?: Record<string, string>; retryable?: boolean; source?: string } = {},
  ) {
    super(message);
    this.name = "SimError";
    this.code = code;
    this.errorCode = errorCode;
    this.context = options.context ?? {};
    this.retryable = options.retryable ?? false;
    this.source = options.source ?? "upstream";
  }
}

/** The grpc code name the middleware pairs with an HTTP status (used by fault switches). */
export function codeForStatus(status: number): GrpcCodeName {
  switch (status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 409:
      return "already_exists";
    case 429:
      return "resource_exhausted";
    case 501:
      return "unimplemented";
    case 503:
    case 502:
      return "unavailable";
    case 504:
    case 408:
      return "deadline_exceeded";
    default:
      return "internal";
  }
}

/** Default `errorCode` (the SDK's `ErrorCode`) for a grpc code name. */
export function defaultErrorCode(code: GrpcCodeName): string {
  switch (code) {
    case "invalid_argument":
      return "invalidArgument";
    case "failed_precondition":
      return "preconditionFailed";
    case "unauthenticated":
      return "unauthenticated";
    case "permission_denied":
      return "unauthorized";
    case "not_found":
      return "chatNotFound";
    case "resource_exhausted":
      return "burstRateExceeded";
    case "unavailable":
      return "serviceUnavailable";
    case "deadline_exceeded":
      return "timeout";
    case "unimplemented":
      return "operationNotSupported";
    default:
      return "internalError";
  }
}

/** Builds the JSON error response of the middleware, with its marker and request id headers. */
export function errorResponse(error: SimError, options: { retryAfter?: number; status?: number } = {}): Response {
  const requestId = `sim-req-${crypto.randomUUID()}`;
  const headers = new Headers({
    "content-type": "application/json",
    "x-spectrum-middleware": "simulator",
    "x-request-id": requestId,
  });
  if (options.retryAfter !== undefined) headers.set("retry-after", String(options.retryAfter));
  const body = {
    code: error.code,
    errorCode: error.errorCode,
    message: error.message,
    retryable: error.retryable,
    context: error.context,
    source: error.source,
    requestId,
  };
  return new Response(JSON.stringify(body), { status: options.status ?? HTTP_STATUS_BY_CODE[error.code], headers });
}

/** Shorthand for a validation failure on one request field. */
export function invalidArgument(field: string, message: string): SimError {
  return new SimError("invalid_argument", "invalidArgument", message, { context: { field }, source: "middleware" });
}
