/**
 * @module ledger/ownership
 * Conversations whose deliveries this isolate is running as their `DeliveryLedger` Durable Object —
 * the one place that conversation's messages are handled, one at a time. While it runs, the Chat
 * SDK's thread lock for that conversation cannot be contended, so the Durable Object state adapter
 * grants it locally instead of asking the `ChatStateDO` (two Durable Object requests per delivery
 * saved: acquire and release).
 */

import { decodeThreadId } from "../core/thread-id.ts";

const owned = new Map<string, number>();

/** The chat GUID of a Chat SDK thread id, or undefined when it is not an iMessage thread id. */
function chatGuidOf(threadId: string): string | undefined {
  try {
    return decodeThreadId(threadId).chatGuid;
  } catch {
    return undefined;
  }
}

/**
 * Marks `chatGuid` as run by this isolate's ledger while `task` runs.
 *
 * @example
 * ```ts
 * await whileOwned(chatGuid, () => adapter.runDelivery(delivery, run));
 * ```
 */
export async function whileOwned<T>(chatGuid: string, task: () => Promise<T>): Promise<T> {
  owned.set(chatGuid, (owned.get(chatGuid) ?? 0) + 1);
  try {
    return await task();
  } finally {
    const left = (owned.get(chatGuid) ?? 1) - 1;
    if (left <= 0) owned.delete(chatGuid);
    else owned.set(chatGuid, left);
  }
}

/** True when the thread's conversation is being run by this isolate's ledger right now. */
export function isOwnedThread(threadId: string): boolean {
  const chatGuid = chatGuidOf(threadId);
  return chatGuid !== undefined && owned.has(chatGuid);
}
