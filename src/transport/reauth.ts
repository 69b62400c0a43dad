/**
 * @module transport/reauth
 * A cloud client that replaces a token the server rejected: on `AuthenticationError` (401, e.g.
 * `tokenExpired` before the grant's own expiry) the cached grant is dropped and the call is made once
 * more with a fresh token — with the same arguments, so the same idempotency key (`clientMessageId`).
 * A 403 `permission_denied` (a shared-line recipient who has not opted in) is not a token problem: a
 * new token would be refused the same way, so it is thrown as it is.
 */
import { AuthenticationError, type AdvancedIMessage } from "@photon-ai/advanced-imessage/http";

/** gRPC `PERMISSION_DENIED` (HTTP 403). */
const PERMISSION_DENIED = 7;

/** What the wrapper needs of the token source. */
export interface Invalidatable {
  invalidate(): Promise<void>;
}

function wrapResource<T extends object>(resource: T, tokens: Invalidatable): T {
  return new Proxy(resource, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const first = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(first instanceof Promise)) return first;
        return first.catch(async (error: unknown) => {
          if (!(error instanceof AuthenticationError) || error.grpcCode === PERMISSION_DENIED) throw error;
          await tokens.invalidate();
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        });
      };
    },
  });
}

/**
 * Wraps every resource of `client` (`messages`, `chats`, `polls`, …) so a rejected token is replaced
 * once per call.
 *
 * @example
 * ```ts
 * const client = withTokenRenewal(createHttpClient({ address, token: () => tokens.token() }), tokens);
 * ```
 */
export function withTokenRenewal(client: AdvancedIMessage, tokens: Invalidatable): AdvancedIMessage {
  const resources = new Map<PropertyKey, unknown>();
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "object" || value === null) return value;
      if (!resources.has(property)) resources.set(property, wrapResource(value, tokens));
      return resources.get(property);
    },
  });
}
