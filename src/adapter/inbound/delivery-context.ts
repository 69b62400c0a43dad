/**
 * @module adapter/inbound/delivery-context
 * Which delivery a handler's code runs for, across every `await` (an `AsyncLocalStorage`: workerd
 * provides `node:async_hooks` under `nodejs_compat`, which the Chat SDK needs anyway). Every outbound
 * write made while a delivery runs — in its own conversation or in another one (a DM the handler opens)
 * — gets an idempotency key derived from the delivery and the write's position in that conversation,
 * so a later attempt of the same delivery cannot send anything twice.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { OutboundKeys } from "../../ledger/keys.ts";

interface DeliveryRun {
  deliveryKey: string;
  /** Keys per conversation written to (chat GUID → the next positions). */
  keys: Map<string, OutboundKeys>;
}

const current = new AsyncLocalStorage<DeliveryRun>();

/**
 * Runs `task` as the run of the delivery stored under `deliveryKey`, whose own conversation is `chatGuid`
 * (its writes there keep the keys `OutboundKeys.forDelivery(deliveryKey)` gives).
 */
export async function runForDelivery<T>(deliveryKey: string, chatGuid: string, task: () => Promise<T>): Promise<T> {
  const run: DeliveryRun = { deliveryKey, keys: new Map([[chatGuid, OutboundKeys.forDelivery(deliveryKey)]]) };
  return await current.run(run, task);
}

/** The key of the next write to `chatGuid` by the delivery running here; undefined outside a delivery. */
export function deliveryWriteKey(chatGuid: string): string | undefined {
  const run = current.getStore();
  if (!run) return undefined;
  let keys = run.keys.get(chatGuid);
  if (!keys) {
    keys = OutboundKeys.forDelivery(`${run.deliveryKey}>${chatGuid}`);
    run.keys.set(chatGuid, keys);
  }
  return keys.take();
}
