/**
 * @module state/chat-state-rpc
 * What the Chat state client needs of a state shard Durable Object (`ChatStateDO` implements it): the
 * state layer declares it, so it never imports the class above it.
 */

/** A thread lock as the Chat SDK sees it. */
export interface StoredLock {
  threadId: string;
  token: string;
  expiresAt: number;
}

type Maybe<T> = T | Promise<T>;

/** One shard of Chat SDK state, as its Durable Object serves it over RPC (values are JSON strings). */
export interface ChatStateRpc extends Rpc.DurableObjectBranded {
  get(key: string): Maybe<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  setIfNotExists(key: string, value: string, ttlMs?: number): Promise<boolean>;
  delete(key: string): Maybe<void>;
  appendToList(key: string, value: string, maxLength?: number, ttlMs?: number): Promise<void>;
  getList(key: string): Maybe<string[]>;
  acquireLock(threadId: string, ttlMs: number): Promise<StoredLock | null>;
  extendLock(lock: StoredLock, ttlMs: number): Maybe<boolean>;
  releaseLock(lock: StoredLock): Maybe<void>;
  forceReleaseLock(threadId: string): Maybe<void>;
  subscribe(threadId: string): Maybe<void>;
  unsubscribe(threadId: string): Maybe<void>;
  isSubscribed(threadId: string): Maybe<boolean>;
  enqueue(threadId: string, entry: string, expiresAt: number, maxSize: number): Promise<number>;
  dequeue(threadId: string): Maybe<string | null>;
  queueDepth(threadId: string): Maybe<number>;
}
