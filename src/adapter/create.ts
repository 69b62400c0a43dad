/**
 * @module adapter/create
 * `createiMessageAdapter`: options and environment in, a Chat SDK adapter out.
 */
import { createDurableLedger, type LedgerRpc } from "../ledger/durable-ledger.ts";
import { createGatewaySpaceDirectory, type SpaceStoreRpc } from "../spaces/gateway-directory.ts";
import type { iMessageAdapterOptions } from "../core/config.ts";
import { createRemoteiMessageAdapter } from "./create-core.ts";
import { workerEnv } from "../core/worker-bindings.ts";
import type { AdapterDependencies } from "./dependencies.ts";
import type { iMessageAdapter } from "./imessage-adapter.ts";

function isNamespace<T>(value: unknown): value is DurableObjectNamespace<T extends Rpc.DurableObjectBranded ? T : never> {
  return typeof value === "object" && value !== null && typeof (value as { idFromName?: unknown }).idFromName === "function";
}

/**
 * The durable parts found in a Worker's env by binding name: `DELIVERY_LEDGER` (exactly-once,
 * durable execution) and `GATEWAY` (persistent group spaces). Explicit options win.
 */
function fromBindings(env: Record<string, unknown> | undefined, explicit: AdapterDependencies): AdapterDependencies {
  const ledgerBinding = env?.DELIVERY_LEDGER;
  const gatewayBinding = env?.GATEWAY;
  return {
    ledger:
      explicit.ledger ??
      (isNamespace<LedgerRpc>(ledgerBinding) ? createDurableLedger({ namespace: ledgerBinding }) : undefined),
    spaces:
      explicit.spaces ?? (isNamespace<SpaceStoreRpc>(gatewayBinding) ? createGatewaySpaceDirectory(gatewayBinding) : undefined),
  };
}

/**
 * Creates the iMessage adapter. On Workers pass `env` (the Worker binding): secrets are read from it,
 * and the Durable Objects bound as `DELIVERY_LEDGER` and `GATEWAY` are used for exactly-once durable
 * delivery handling and persistent group spaces, unless `ledger` / `spaces` are given. Without `env`
 * the adapter finds those bindings itself (through `cloudflare:workers`) when it is initialized. With
 * neither, deliveries are handled in the request's `waitUntil` (one isolate, not crash-safe), and the
 * adapter says so once, at warn, with the `wrangler.toml` lines to add.
 *
 * @throws ValidationError in local mode (use the local-bridge package on a Mac) or on invalid options.
 * @example
 * ```ts
 * const bot = new Chat({ userName: "bot", adapters: { imessage: createiMessageAdapter({ env }) }, state });
 * ```
 */
export function createiMessageAdapter(options: iMessageAdapterOptions & AdapterDependencies = {}): iMessageAdapter {
  const { ledger, spaces } = options;
  const found = fromBindings(options.env as Record<string, unknown> | undefined, { ledger, spaces });
  // No env given (the seed's snippet verbatim): look the bindings up in the Worker when the adapter is initialized.
  // Without a ledger either way, the adapter warns once that deliveries are not crash-safe.
  const findDurableParts = ledger
    ? undefined
    : options.env === undefined
      ? async () => fromBindings(await workerEnv(), { spaces })
      : async () => found;
  return createRemoteiMessageAdapter({ ...options, ...found, ...(findDurableParts ? { findDurableParts } : {}) });
}
