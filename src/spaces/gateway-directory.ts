/**
 * @module spaces/gateway-directory
 * The adapter's space directory backed by the gateway Durable Object, so a group seen once can be
 * addressed from any isolate, after deploys and Durable Object restarts.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { SpaceSighting } from "../webhook/space-of.ts";
import { rpcNamespace, type DurableObjectBinding } from "../core/durable-object-binding.ts";
import type { SpaceDirectory, SpaceRecord } from "./directory.ts";

/** What the directory needs of the gateway Durable Object (the `GatewayDO` class implements it). */
export interface SpaceStoreRpc extends Rpc.DurableObjectBranded {
  recordSpace(sighting: SpaceSighting, envelope?: SlimEnvelope): Promise<void>;
  lookupSpace(chatGuid: string): Promise<SpaceRecord | null>;
}

/** The single gateway instance every Worker isolate talks to. */
export const GATEWAY_NAME = "gateway";

/** The gateway's stub as the space store it is. */
function storeStub(namespace: DurableObjectBinding<SpaceStoreRpc>): DurableObjectStub<SpaceStoreRpc> {
  return rpcNamespace(namespace).getByName(GATEWAY_NAME);
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
  namespace: DurableObjectBinding<SpaceStoreRpc>,
  options: { streamEnvelopes?: boolean } = {},
): SpaceDirectory {
  return {
    // Only a gateway that streams envelopes to its spectrum-ts app needs every one; otherwise a
    // space is recorded when new, changed or stale (one gateway request per space, not per message).
    streamsEnvelopes: options.streamEnvelopes ?? false,
    async record(sighting, envelope) {
      await storeStub(namespace).recordSpace(sighting, envelope);
    },
    async lookup(chatGuid) {
      return await storeStub(namespace).lookupSpace(chatGuid);
    },
  };
}
