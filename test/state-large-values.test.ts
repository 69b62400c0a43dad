import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { ThreadImpl, type Adapter } from "chat";
import { describe, expect, it } from "vitest";
import { shardName } from "../src/core/hash.ts";
import type { ChatStateDO } from "../src/durable-objects/chat-state.ts";
import { createDurableObjectState } from "../src/state/durable-state.ts";
import { CHUNK_BYTES, MAX_VALUE_BYTES, splitUtf8, StateValueTooLargeError } from "../src/state/value-size.ts";

const NAME = "state-large-test";
const MB = 1_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (name: string) => `${name}-${crypto.randomUUID()}`;
const shard = (key: string) => env.CHAT_STATE.get(env.CHAT_STATE.idFromName(shardName(NAME, key, 4)));
/** Exact equality of big strings, without a multi-megabyte diff when it fails. */
const same = (a: unknown, b: string) => typeof a === "string" && a === b;

/** About `bytes` of UTF-8 text mixing 1-, 2-, 3- and 4-byte characters, so pieces end inside every width. */
function bigText(bytes: number, seed = "x"): string {
  const unit = `${seed}abcdefghij é ü € 中文 😀🎉 `;
  return unit.repeat(Math.ceil(bytes / new TextEncoder().encode(unit).length));
}

/** Chunk rows the shard holds for a value of `owner` (`cache` rows are named by key). */
async function chunkRows(key: string, owner = "cache"): Promise<number> {
  return await runInDurableObject(shard(key), (_instance, ctx) => {
    const where = owner === "cache" ? "id = ?" : "id IN (SELECT seq FROM lists WHERE key = ?)";
    return ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM chunks WHERE owner = ? AND ${where}`, owner, key).one().n;
  });
}

/** The largest cell (UTF-8 bytes) of the shard of `key`'s value tables: deployed SQLite refuses one over 2 MB. */
async function largestCell(key: string): Promise<number> {
  return await runInDurableObject(shard(key), (_instance, ctx) => {
    const bytes = (column: string, table: string) =>
      ctx.storage.sql.exec<{ n: number | null }>(`SELECT MAX(LENGTH(CAST(${column} AS BLOB))) AS n FROM ${table}`).one().n ?? 0;
    return Math.max(bytes("value", "cache"), bytes("value", "lists"), bytes("entry", "queue"), bytes("piece", "chunks"));
  });
}

/** Rows written by the SQL statements `run` executes inside the shard of `key`. */
async function rowsWritten(key: string, run: (instance: ChatStateDO) => unknown): Promise<number> {
  return await runInDurableObject(shard(key), async (instance, ctx) => {
    const sql = ctx.storage.sql;
    const exec = sql.exec;
    const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
    sql.exec = ((query: string, ...bindings: unknown[]) => {
      const cursor = exec.call(sql, query, ...bindings);
      cursors.push(cursor);
      return cursor;
    }) as typeof sql.exec;
    try {
      await run(instance as unknown as ChatStateDO);
    } finally {
      sql.exec = exec;
    }
    return cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0);
  });
}

describe("state values of any size (chunked across SQLite rows)", () => {
  const state = createDurableObjectState(env.CHAT_STATE, { name: NAME });

  it("splitUtf8 cuts on character boundaries within the byte budget and joins back exactly", () => {
    const text = bigText(50_000);
    const pieces = splitUtf8(text, 1000);
    expect(pieces.join("")).toBe(text);
    for (const piece of pieces) expect(new TextEncoder().encode(piece).length).toBeLessThanOrEqual(1000);
    expect(pieces.every((piece) => !/[\uD800-\uDBFF]$/.test(piece))).toBe(true);
    expect(splitUtf8("small")).toEqual(["small"]);
  });

  it("thread.setState and state.set of a 3 MB value round-trip exactly", async () => {
    const key = unique("big");
    const value = { text: bigText(3 * MB), n: 1 };
    await state.set(key, value);
    expect(await chunkRows(key)).toBeGreaterThanOrEqual(3);
    expect(await largestCell(key)).toBeLessThanOrEqual(CHUNK_BYTES);
    const back = await state.get<typeof value>(key);
    expect(back?.n).toBe(1);
    expect(same(back?.text, value.text)).toBe(true);

    const thread = new ThreadImpl({ id: unique("imessage:any;-;+1555"), channelId: "imessage", adapter: {} as Adapter, stateAdapter: state });
    await thread.setState({ transcript: value.text });
    await thread.setState({ more: "merged" });
    const threadState = (await thread.state) as { transcript?: string; more?: string } | null;
    expect(threadState?.more).toBe("merged");
    expect(same(threadState?.transcript, value.text)).toBe(true);
  });

  it("a value that fits a cell writes what it did before chunking (its row and primary-key entry); a big one adds one row a chunk", async () => {
    const small = unique("small");
    const set = (key: string, text: string) => rowsWritten(key, (shardObject) => shardObject.set(key, text));
    expect(await set(small, JSON.stringify({ a: 1 }))).toBe(2);
    expect(await set(small, JSON.stringify({ a: 2 }))).toBe(2);
    expect(await set(small, JSON.stringify("a".repeat(CHUNK_BYTES - 2)))).toBe(2);
    expect(await chunkRows(small)).toBe(0);
    const big = unique("big-rows");
    const text = JSON.stringify(bigText(3 * MB));
    expect(await set(big, text)).toBe(2 + splitUtf8(text).length);
  });

  it("overwriting or deleting a big value leaves no orphan chunks", async () => {
    const key = unique("overwrite");
    await state.set(key, bigText(3 * MB, "a"));
    await state.set(key, bigText(2.5 * MB, "b"));
    expect(same(await state.get(key), bigText(2.5 * MB, "b"))).toBe(true);
    expect(await chunkRows(key)).toBe(splitUtf8(JSON.stringify(bigText(2.5 * MB, "b"))).length);
    await state.set(key, "small now");
    expect(await state.get(key)).toBe("small now");
    expect(await chunkRows(key)).toBe(0);
    await state.set(key, bigText(3 * MB));
    await state.delete(key);
    expect(await state.get(key)).toBeNull();
    expect(await chunkRows(key)).toBe(0);
  });

  it("TTL expiry: a big value reads as absent, and the prune alarm removes its chunks", async () => {
    const key = unique("ttl-big");
    await state.set(key, bigText(3 * MB), 500);
    expect(await chunkRows(key)).toBeGreaterThan(0);
    await sleep(600);
    expect(await state.get(key)).toBeNull();
    await runDurableObjectAlarm(shard(key));
    expect(await chunkRows(key)).toBe(0);
  });

  it("setIfNotExists with a big value: stored once, kept against a second, replaced after expiry", async () => {
    const key = unique("once-big");
    const first = bigText(3 * MB, "1");
    expect(await state.setIfNotExists(key, first, 1000)).toBe(true);
    expect(await state.setIfNotExists(key, bigText(3 * MB, "2"))).toBe(false);
    expect(same(await state.get(key), first)).toBe(true);
    await sleep(1100);
    const third = bigText(2 * MB, "3");
    expect(await state.setIfNotExists(key, third)).toBe(true);
    expect(same(await state.get(key), third)).toBe(true);
    expect(await chunkRows(key)).toBe(splitUtf8(JSON.stringify(third)).length);
  });

  it("lists and queue entries may be big too", async () => {
    const key = unique("list-big");
    const entries = [bigText(1.5 * MB, "p"), "small", bigText(2.2 * MB, "q")];
    for (const entry of entries) await state.appendToList(key, entry, { maxLength: 2 });
    const list = await state.getList<string>(key);
    expect(list.length === 2 && list[0] === "small" && same(list[1], entries[2] as string)).toBe(true);
    expect(await chunkRows(key, "lists")).toBe(splitUtf8(JSON.stringify(entries[2])).length);
    await state.delete(key);
    expect(await chunkRows(key, "lists")).toBe(0);

    const thread = unique("imessage:any;-;+1556");
    const now = Date.now();
    const message = { id: "m", text: bigText(3 * MB) } as never;
    await state.enqueue(thread, { enqueuedAt: now, expiresAt: now + 60_000, message }, 5);
    const dequeued = (await state.dequeue(thread))?.message as unknown as { id: string; text: string } | undefined;
    expect(dequeued?.id === "m" && same(dequeued.text, (message as { text: string }).text)).toBe(true);
    expect(await state.queueDepth(thread)).toBe(0);
  });

  it("a value over the cap is refused with an error naming the limit, by the client and by the shard", async () => {
    const key = unique("too-big");
    const huge = "x".repeat(MAX_VALUE_BYTES + 1);
    await expect(state.set(key, huge)).rejects.toBeInstanceOf(StateValueTooLargeError);
    await expect(state.setIfNotExists(key, huge)).rejects.toThrow(/limit is 15 MiB.*RPC messages are limited to 32 MiB.*R2 or KV/);
    // The shard checks too, for callers of its RPC methods (called in place: a rejected RPC is reported as uncaught).
    const refused = await runInDurableObject(shard(key), (instance) =>
      (instance as unknown as ChatStateDO).set(key, huge).then(() => null, (error: Error) => error),
    );
    expect(refused?.message).toMatch(/limit is 15 MiB/);
    expect(await state.get(key)).toBeNull();
  });

  it("a value at the cap crosses RPC both ways even as UTF-16 (one character beyond Latin-1)", async () => {
    const key = unique("at-cap");
    const value = `€${"a".repeat(MAX_VALUE_BYTES - 5)}`; // JSON: 2 quotes + 3 bytes + the rest = the cap
    await state.set(key, value);
    expect(same(await state.get(key), value)).toBe(true);
    expect(await largestCell(key)).toBeLessThanOrEqual(CHUNK_BYTES);
    await state.delete(key);
    expect(await chunkRows(key)).toBe(0);
  });
});
