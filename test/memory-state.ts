/**
 * @module test/memory-state
 * A tiny in-memory Chat state for tests that need a Chat but not durability.
 */
import type { Lock, QueueEntry, StateAdapter } from "chat";

export function createMemoryState(): StateAdapter {
  const cache = new Map<string, { value: unknown; expiresAt?: number }>();
  const lists = new Map<string, unknown[]>();
  const locks = new Map<string, Lock>();
  const subscriptions = new Set<string>();
  const queues = new Map<string, QueueEntry[]>();
  const live = (key: string) => {
    const entry = cache.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) cache.delete(key);
    return cache.get(key);
  };
  return {
    async connect() {},
    async disconnect() {},
    async get<T>(key: string) {
      return (live(key)?.value as T) ?? null;
    },
    async set(key, value, ttlMs) {
      cache.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : undefined });
    },
    async setIfNotExists(key, value, ttlMs) {
      if (live(key)) return false;
      cache.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : undefined });
      return true;
    },
    async delete(key) {
      cache.delete(key);
    },
    async appendToList(key, value) {
      lists.set(key, [...(lists.get(key) ?? []), value]);
    },
    async getList<T>(key: string) {
      return (lists.get(key) ?? []) as T[];
    },
    async acquireLock(threadId, ttlMs) {
      const held = locks.get(threadId);
      if (held && held.expiresAt > Date.now()) return null;
      const lock = { threadId, token: crypto.randomUUID(), expiresAt: Date.now() + ttlMs };
      locks.set(threadId, lock);
      return lock;
    },
    async extendLock(lock, ttlMs) {
      const held = locks.get(lock.threadId);
      if (held?.token !== lock.token) return false;
      held.expiresAt = Date.now() + ttlMs;
      return true;
    },
    async releaseLock(lock) {
      if (locks.get(lock.threadId)?.token === lock.token) locks.delete(lock.threadId);
    },
    async forceReleaseLock(threadId) {
      locks.delete(threadId);
    },
    async subscribe(threadId) {
      subscriptions.add(threadId);
    },
    async unsubscribe(threadId) {
      subscriptions.delete(threadId);
    },
    async isSubscribed(threadId) {
      return subscriptions.has(threadId);
    },
    async enqueue(threadId, entry, maxSize) {
      const queue = [...(queues.get(threadId) ?? []), entry].slice(-maxSize);
      queues.set(threadId, queue);
      return queue.length;
    },
    async dequeue(threadId) {
      return queues.get(threadId)?.shift() ?? null;
    },
    async queueDepth(threadId) {
      return queues.get(threadId)?.length ?? 0;
    },
  };
}
