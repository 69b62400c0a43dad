/**
 * @module core/durable-object-binding
 * A Durable Object binding as a Worker's `Env` declares it: typed by `wrangler types`
 * (`GATEWAY: DurableObjectNamespace<import("./src/index").GatewayDO>`) or untyped in a hand-written
 * `Env` (`GATEWAY: DurableObjectNamespace`, as the create-cloudflare template writes it). The package
 * accepts both and calls the RPC of the class that `wrangler.toml` binds under that name.
 */

/** A namespace whose class serves `T`'s RPC, typed or not. */
export type DurableObjectBinding<T extends Rpc.DurableObjectBranded> = DurableObjectNamespace<T> | DurableObjectNamespace;

/**
 * The binding typed as the RPC its class serves.
 *
 * @example
 * ```ts
 * const stub = rpcNamespace<GatewayDurableObject>(env.GATEWAY).getByName("gateway");
 * ```
 */
export function rpcNamespace<T extends Rpc.DurableObjectBranded>(binding: DurableObjectBinding<T>): DurableObjectNamespace<T> {
  return binding as DurableObjectNamespace<T>;
}
