/**
 * @module gateway/directory
 * The adapter's space directory backed by the gateway Durable Object, so a group seen once can be
 * addressed from any isolate, after deploys and Durable Object restarts.
 */
import type { SpaceDirectory } from "../adapter/spaces.ts";
import type { GatewayDurableObject } from "../../durable-objects/gateway.ts";

/** The single gateway instance every Worker isolate talks to. */
export const GATEWAY_NAME = "gateway";

/** The gateway's stub. */
export function gatewayStub(namespace: DurableObjectNamespace<GatewayDurableObject>): DurableObjectStub<GatewayDurableObject> {
  return namespace.get(namespace.idFromName(GATEWAY_NAME));
}

/**
 * A {@link SpaceDirectory} over the gateway Durable Object's RPC.
 *
 * @example
 * ```ts
 * const imessage = createiMessageAdapter({ env, spaces: createGatewaySpaceDirectory(env.GATEWAY) });
 * ```
 */
export function createGatewaySpaceDirectory(
  namespace: DurableObjectNamespace<GatewayDurableObject>,
  options: { streamEnvelopes?: boolean } = {},
): SpaceDirectory {
  return {
    // Only a gateway that streams envelopes to its spectrum-ts app needs every one; otherwise a
    // space is recorded when new, changed or stale (one gateway request per space, not per message).
    streamsEnvelopes: options.streamEnvelopes ?? false,
    async record(sighting, envelope) {
      await gatewayStub(namespace).recordSpace(sighting, envelope);
    },
    async lookup(chatGuid) {
      return await gatewayStub(namespace).lookupSpace(chatGuid);
    },
  };
}
