/**
 * @module ledger/durable-ledger
 * The Workers ledger: each delivery is recorded in the `DeliveryLedger` Durable Object that owns its
 * conversation (one of `LEDGER_SHARDS`, by chat GUID), which dedupes it atomically and runs it to completion on its alarm.
 */
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { rpcNamespace, type DurableObjectBinding } from "../core/durable-object-binding.ts";
import { ledgerNameOf } from "./keys.ts";
import type { AcceptStatus, DeliveryLedgerClient } from "./ledger.ts";

/** What the webhook needs of a ledger Durable Object (the `DeliveryLedger` class implements it). */
export interface LedgerRpc extends Rpc.DurableObjectBranded {
  /** Records a delivery once per key and runs it; answers what became of this copy. */
  accept(delivery: VerifiedDelivery, key: string): Promise<AcceptStatus>;
}

/** What the gateway's dead-letter routes need of a ledger Durable Object. */
export interface LedgerReplayRpc extends Rpc.DurableObjectBranded {
  /** Runs a dead letter again once; false when there is none under `key`. */
  replay(key: string): Promise<boolean>;
}

/** Options of {@link createDurableLedger}. */
export interface DurableLedgerOptions {
  /** The `DeliveryLedger` Durable Object namespace (binding `DELIVERY_LEDGER`). */
  namespace: DurableObjectBinding<LedgerRpc>;
}

/**
 * A ledger on Durable Objects, each owning a fixed share of the conversations: one request per delivery records and claims it
 * (SQLite `INSERT … ON CONFLICT DO NOTHING`), and the object runs it outside the webhook request.
 *
 * @example
 * ```ts
 * const imessage = createiMessageAdapter({ env, ledger: createDurableLedger({ namespace: env.DELIVERY_LEDGER }) });
 * ```
 */
export function createDurableLedger(options: DurableLedgerOptions): DeliveryLedgerClient {
  const { namespace } = options;
  return {
    durable: true,
    async accept(delivery, key) {
      const name = ledgerNameOf(delivery.envelope.message.space.id);
      return await rpcNamespace(namespace).getByName(name).accept(delivery, key);
    },
    async settle() {
      // The Durable Object settles the deliveries it runs itself.
    },
  };
}
