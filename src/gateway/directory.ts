/**
 * @module gateway/directory
 * The adapter's space directory backed by the gateway Durable Object, so a group seen once can be
 * addressed from any isolate, after deploys and Durable Object restarts.
 */
import type { RedeliveryQueue } from "../adapter/redelivery.ts";
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
export function createGatewaySpaceDirectory(namespace: DurableObjectNamespace<GatewayDurableObject>): SpaceDirectory {
  return {
    async record(sighting, envelope) {
      await gatewayStub(namespace).recordSpace(sighting, envelope);
    },
    async lookup(chatGuid) {
      return await gatewayStub(namespace).lookupSpace(chatGuid);
    },
  };
}

/**
 * The gateway as the adapter's redelivery queue: deliveries whose handlers failed after the 200 are
 * kept in the gateway Durable Object and run again on its alarm, with backoff.
 *
 * @example
 * ```ts
 * const imessage = createiMessageAdapter({ env, redelivery: createGatewayRedelivery(env.GATEWAY) });
 * ```
 */
export function createGatewayRedelivery(namespace: DurableObjectNamespace<GatewayDurableObject>): RedeliveryQueue {
  return {
    async schedule(delivery, attempt, error) {
      await gatewayStub(namespace).scheduleRedelivery(delivery, attempt, error);
    },
  };
}
