/**
 * @module core/errors
 * Error types the adapter throws, re-exporting the Chat SDK's own where they exist.
 */
import { ChatError, NotImplementedError } from "chat";

export { NotImplementedError };

/** A configuration or input the caller must fix; the message says what. */
export class ValidationError extends ChatError {
  constructor(message: string) {
    super(`[imessage] ${message}`, "VALIDATION_ERROR");
    this.name = "ValidationError";
  }
}

/**
 * Throws the Chat SDK's `NotImplementedError` for an operation iMessage cannot do.
 *
 * @example
 * ```ts
 * notImplemented("postEphemeral", "iMessage has no ephemeral messages");
 * ```
 */
export function notImplemented(feature: string, why: string): never {
  throw new NotImplementedError(`[imessage] ${feature} is not supported: ${why}`, feature);
}
