/**
 * @module state/durable-state
 * A Chat SDK `StateAdapter` backed by the `ChatStateDO` Durable Object (see {@link ChatStateRpc}), usable from a plain Worker.
 */
import { Message, type Lock, type QueueEntry, type StateAdapter } from "chat";
import type { ChatStateRpc } from "./chat-state-rpc.ts";
import { isOwnedThread } from "../ledger/ownership.ts";
import { shardName } from "../core/hash.ts";
import { rpcNamespace, type DurableObjectBinding } from "../core/durable-object-binding.ts";
import { assertValueSize } from "./value-size.ts";

/** Options of {@link createDurableObjectState}. */
export interface DurableObjectStateOptions {
  /** Number of Durable Objects keys are spread over (default 4). Change it only on an empty state. */
  shards?: number;
  /** Prefix of the Durable Object names, to keep several bots apart in one namespace. */
  name?: string;
}

/**
 * How long the ledger running a conversation trusts what it last read or wrote of that thread's
 * subscription. A change made elsewhere (another isolate, a cron) is seen after at most this long.
 */
export const SUBSCRIPTION_CACHE_MS = 60_000;

/** Subscriptions of conversations this isolate's ledger runs (see `ledger/ownership`), cached for {@link SUBSCRIPTION_CACHE_MS}. */
const subscriptions = {
  entries: new Map<string, { subscribed: boolean; at: number }>(),
  recall(threadId: string): boolean | undefined {
    if (!isOwnedThread(threadId)) return undefined;
    const entry = this.entries.get(threadId);
    return entry && Date.now() - entry.at < SUBSCRIPTION_CACHE_MS ? entry.subscribed : undefined;
  },
  remember(threadId: string, subscribed: boolean): void {
    if (!isOwnedThread(threadId)) {
      this.entries.delete(threadId);
      return;
    }
    this.entries.set(threadId, { subscribed, at: Date.now() });
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value as string);
  },
};

/** Token prefix of locks granted without a request (see `ledger/ownership`). */
const LOCAL_LOCK = "ledger-owned:";

function revive(value: unknown): unknown {
  if (value && typeof value === "object" && (value as { _type?: string })._type === "chat:Message") {
    return Message.fromJSON(value as Parameters<typeof Message.fromJSON>[0]);
  }
  return value;
}

/**
 * Chat SDK state in SQLite Durable Objects: survives isolate restarts and is shared by every isolate.
 *
 * @example
 * ```ts
 * const bot = new Chat({ userName: "bot", adapters: { imessage }, state: createDurableObjectState(env.CHAT_STATE) });
 * ```
 */
export function createDurableObjectState(
  namespace: DurableObjectBinding<ChatStateRpc>,
  options: DurableObjectStateOptions = {},
): StateAdapter {
  const shards = options.shards ?? 4;
  const prefix = options.name ?? "chat-state";
  const stub = (key: string) => rpcNamespace(namespace).getByName(shardName(prefix, key, shards));
  const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
  /** JSON of a value, refused here (before RPC) when over `MAX_VALUE_BYTES`; the shard chunks what a cell cannot hold. */
  const json = (key: string, value: unknown): string => {
    const text = JSON.stringify(value);
    assertValueSize(key, text);
    return text;
  };

  return {
    async connect() {},
    async disconnect() {},
    async get<T>(key: string) {
      return parse<T>(await stub(key).get(key));
    },
    async set(key, value, ttlMs) {
      await stub(key).set(key, json(key, value), ttlMs);
    },
    async setIfNotExists(key, value, ttlMs) {
      return await stub(key).setIfNotExists(key, json(key, value), ttlMs);
    },
    async delete(key) {
      await stub(key).delete(key);
    },
    async appendToList(key, value, listOptions) {
      await stub(key).appendToList(key, json(key, value), listOptions?.maxLength, listOptions?.ttlMs);
    },
    async getList<T>(key: string) {
      const values = await stub(key).getList(key);
      return values.map((text) => revive(JSON.parse(text)) as T);
    },
    async acquireLock(threadId, ttlMs) {
      // The conversation's ledger runs its deliveries one at a time, here: nobody can contend the lock.
      if (isOwnedThread(threadId)) return { threadId, token: `${LOCAL_LOCK}${crypto.randomUUID()}`, expiresAt: Date.now() + ttlMs };
      return (await stub(threadId).acquireLock(threadId, ttlMs)) as Lock | null;
    },
    async extendLock(lock, ttlMs) {
      if (lock.token.startsWith(LOCAL_LOCK)) return true;
      return await stub(lock.threadId).extendLock({ ...lock }, ttlMs);
    },
    async releaseLock(lock) {
      if (lock.token.startsWith(LOCAL_LOCK)) return;
      await stub(lock.threadId).releaseLock({ ...lock });
    },
    async forceReleaseLock(threadId) {
      await stub(threadId).forceReleaseLock(threadId);
    },
    async subscribe(threadId) {
      await stub(threadId).subscribe(threadId);
      subscriptions.remember(threadId, true);
    },
    async unsubscribe(threadId) {
      await stub(threadId).unsubscribe(threadId);
      subscriptions.remember(threadId, false);
    },
    async isSubscribed(threadId) {
      const cached = subscriptions.recall(threadId);
      if (cached !== undefined) return cached;
      const subscribed = await stub(threadId).isSubscribed(threadId);
      subscriptions.remember(threadId, subscribed);
      return subscribed;
    },
    async enqueue(threadId, entry, maxSize) {
      return await stub(threadId).enqueue(threadId, json(threadId, entry), entry.expiresAt, maxSize);
    },
    async dequeue(threadId) {
      const text = await stub(threadId).dequeue(threadId);
      if (text === null) return null;
      const entry = JSON.parse(text) as QueueEntry;
      return { ...entry, message: revive(entry.message) as Message };
    },
    async queueDepth(threadId) {
      return await stub(threadId).queueDepth(threadId);
    },
  };
}
