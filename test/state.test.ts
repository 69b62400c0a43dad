import { evictAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Message } from "chat";
import { describe, expect, it } from "vitest";
import { createDurableObjectState } from "../src/state/durable-state.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (name: string) => `${name}-${crypto.randomUUID()}`;

describe("Chat SDK state on SQLite Durable Objects", () => {
  const state = createDurableObjectState(env.CHAT_STATE, { name: "state-test" });

  it("cache: set/get/delete round-trips JSON values", async () => {
    const key = unique("k");
    expect(await state.get(key)).toBeNull();
    await state.set(key, { a: 1, list: ["x"] });
    expect(await state.get(key)).toEqual({ a: 1, list: ["x"] });
    await state.delete(key);
    expect(await state.get(key)).toBeNull();
  });

  it("cache: values expire after their TTL", async () => {
    const key = unique("ttl");
    await state.set(key, "soon gone", 1_000);
    expect(await state.get(key)).toBe("soon gone");
    await sleep(1_100);
    expect(await state.get(key)).toBeNull();
  });

  it("setIfNotExists is atomic under concurrency and honours TTL", async () => {
    const key = unique("once");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => state.setIfNotExists(key, i, 1_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await state.setIfNotExists(key, "again")).toBe(false);
    await sleep(1_100);
    expect(await state.setIfNotExists(key, "after expiry")).toBe(true);
    expect(await state.get(key)).toBe("after expiry");
  });

  it("locks: contention, extension, release by token only, expiry, force release", async () => {
    const thread = unique("imessage:any;-;+1555");
    const lock = await state.acquireLock(thread, 200);
    expect(lock).not.toBeNull();
    expect(await state.acquireLock(thread, 200)).toBeNull();
    if (!lock) throw new Error("no lock");
    expect(await state.extendLock(lock, 500)).toBe(true);
    await state.releaseLock({ ...lock, token: "not-mine" });
    expect(await state.acquireLock(thread, 200)).toBeNull();
    await state.releaseLock(lock);
    const second = await state.acquireLock(thread, 50);
    expect(second).not.toBeNull();
    await sleep(80);
    if (!second) throw new Error("no lock");
    expect(await state.extendLock(second, 100)).toBe(false);
    const third = await state.acquireLock(thread, 10_000);
    expect(third).not.toBeNull();
    await state.forceReleaseLock(thread);
    expect(await state.acquireLock(thread, 100)).not.toBeNull();
  });

  it("locks: 20 concurrent acquirers, exactly one wins", async () => {
    const thread = unique("imessage:any;+;group");
    const locks = await Promise.all(Array.from({ length: 20 }, () => state.acquireLock(thread, 5000)));
    expect(locks.filter(Boolean)).toHaveLength(1);
  });

  it("subscriptions", async () => {
    const thread = unique("imessage:any;-;+1666");
    expect(await state.isSubscribed(thread)).toBe(false);
    await state.subscribe(thread);
    await state.subscribe(thread);
    expect(await state.isSubscribed(thread)).toBe(true);
    await state.unsubscribe(thread);
    expect(await state.isSubscribed(thread)).toBe(false);
  });

  it("lists: append order, maxLength trims the oldest, TTL", async () => {
    const key = unique("list");
    for (const value of [1, 2, 3, 4]) await state.appendToList(key, value, { maxLength: 3 });
    expect(await state.getList(key)).toEqual([2, 3, 4]);
    const short = unique("list-ttl");
    await state.appendToList(short, "x", { ttlMs: 50 });
    await sleep(80);
    expect(await state.getList(short)).toEqual([]);
  });

  it("queues: FIFO, maxSize drops the oldest, Messages revive as Message instances, stale entries skipped", async () => {
    const thread = unique("imessage:any;-;+1777");
    const message = (id: string) =>
      new Message({
        id,
        threadId: thread,
        text: id,
        formatted: { type: "root", children: [] },
        raw: {},
        author: { userId: "u", userName: "u", fullName: "u", isBot: false, isMe: false },
        metadata: { dateSent: new Date("2026-11-20T17:04:05Z"), edited: false },
        attachments: [],
      });
    const now = Date.now();
    for (const id of ["a", "b", "c"]) {
      await state.enqueue(thread, { enqueuedAt: now, expiresAt: now + 60_000, message: message(id) }, 2);
    }
    expect(await state.queueDepth(thread)).toBe(2);
    const first = await state.dequeue(thread);
    expect(first?.message).toBeInstanceOf(Message);
    expect(first?.message.id).toBe("b");
    expect(first?.message.metadata.dateSent).toEqual(new Date("2026-11-20T17:04:05Z"));
    expect((await state.dequeue(thread))?.message.id).toBe("c");
    expect(await state.dequeue(thread)).toBeNull();
    await state.enqueue(thread, { enqueuedAt: now, expiresAt: Date.now() + 30, message: message("stale") }, 5);
    await sleep(60);
    expect(await state.dequeue(thread)).toBeNull();
  });

  it("survives Durable Object eviction (isolate restart)", async () => {
    const key = unique("durable");
    const thread = unique("imessage:any;-;+1888");
    await state.set(key, { kept: true });
    await state.subscribe(thread);
    await evictAllDurableObjects();
    const fresh = createDurableObjectState(env.CHAT_STATE, { name: "state-test" });
    expect(await fresh.get(key)).toEqual({ kept: true });
    expect(await fresh.isSubscribed(thread)).toBe(true);
  });
});

describe("state of a conversation its ledger is running", () => {
  it("the thread lock is granted without a request, and the subscription is read once a minute, not per message", async () => {
    const { whileOwned } = await import("../src/ledger/ownership.ts");
    const { shardName } = await import("../src/core/hash.ts");
    const chatGuid = `any;-;+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
    const threadId = `imessage:${chatGuid}`;
    const state = createDurableObjectState(env.CHAT_STATE);
    const shard = env.CHAT_STATE.get(env.CHAT_STATE.idFromName(shardName("chat-state", threadId, 4)));
    await whileOwned(chatGuid, async () => {
      const lock = await state.acquireLock(threadId, 30_000);
      expect(lock?.token).toMatch(/^ledger-owned:/);
      // Nothing was stored: another holder could still take the real lock (there is none: the ledger is the only runner).
      const real = await shard.acquireLock(threadId, 1000);
      expect(real).not.toBeNull();
      if (real) await shard.releaseLock(real);
      expect(await state.isSubscribed(threadId)).toBe(false);
      await shard.subscribe(threadId); // a change made elsewhere
      expect(await state.isSubscribed(threadId)).toBe(false); // cached for up to a minute
      await state.subscribe(threadId); // a change made here is seen at once
      expect(await state.isSubscribed(threadId)).toBe(true);
      await shard.unsubscribe(threadId);
    });
    // Outside a ledger run nothing is cached.
    expect(await state.isSubscribed(threadId)).toBe(false);
    expect((await state.acquireLock(threadId, 30_000))?.token).not.toMatch(/^ledger-owned:/);
  });
});
