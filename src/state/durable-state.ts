/**
 * @module state/durable-state
 * A Chat SDK `StateAdapter` backed by {@link ChatStateDO}, usable from a plain Worker.
 */
import { Message, type Lock, type QueueEntry, type StateAdapter } from "chat";
import type { ChatStateDO } from "../../durable-objects/chat-state.ts";
import { isOwnedThread } from "../delivery/ownership.ts";
import { shardName } from "./shard.ts";

/** Options of {@link createDurableObjectState}. */
export interface DurableObjectStateOptions {
  /** Number of Durable Objects keys are spread over (default 4). Change it only on an empty state. */
  shards?: number;
  /** Prefix of the Durable Object names, to keep several bots apart in one namespace. */
  name?: string;
}

/** Token prefix of locks granted without a request (see `delivery/ownership`). */
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
  namespace: DurableObjectNamespace<ChatStateDO>,
  options: DurableObjectStateOptions = {},
): StateAdapter {
  const shards = options.shards ?? 4;
  const prefix = options.name ?? "chat-state";
  const stub = (key: string) => namespace.get(namespace.idFromName(shardName(prefix, key, shards)));
  const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

  return {
    async connect() {},
    async disconnect() {},
    async get<T>(key: string) {
      return parse<T>(await stub(key).get(key));
    },
    async set(key, value, ttlMs) {
      await stub(key).set(key, JSON.stringify(value), ttlMs);
    },
    async setIfNotExists(key, value, ttlMs) {
      return await stub(key).setIfNotExists(key, JSON.stringify(value), ttlMs);
    },
    async delete(key) {
      await stub(key).delete(key);
    },
    async appendToList(key, value, listOptions) {
      await stub(key).appendToList(key, JSON.stringify(value), listOptions?.maxLength, listOptions?.ttlMs);
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
    },
    async unsubscribe(threadId) {
      await stub(threadId).unsubscribe(threadId);
    },
    async isSubscribed(threadId) {
      return await stub(threadId).isSubscribed(threadId);
    },
    async enqueue(threadId, entry, maxSize) {
      return await stub(threadId).enqueue(threadId, JSON.stringify(entry), entry.expiresAt, maxSize);
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
