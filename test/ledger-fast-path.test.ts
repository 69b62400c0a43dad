/**
 * The ledger's fast path (`src/ledger/fresh-queue.ts`): a delivery stored in its `seen` row alone and
 * queued in memory. What a new instance (a dead isolate's successor) finds of it: read back by
 * `recover`, adopted when a copy arrives, buried when its payload cannot be read; and a failed one
 * moving to an open row that runs before the fast path's.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { describe, expect, it, vi } from "vitest";
import { deliveryKeyOf, ledgerNameOf } from "../src/ledger/keys.ts";
import type { DeliveryLedger } from "../demo/index.ts";
import { inOwnDm, seedInbound } from "./helpers.ts";
import { sim } from "./outbound-helpers.ts";
import { LedgerStore, type DeadLetter } from "../src/ledger/store.ts";
import type { VerifiedDelivery } from "../src/webhook/receive.ts";
import { buildEnvelope } from "./simulator/client.ts";

function delivery(chatGuid: string, text: string): VerifiedDelivery {
  const messageId = crypto.randomUUID();
  const envelope = buildEnvelope({ chatGuid, sender: chatGuid.slice(6), text, messageId });
  return { envelope: envelope as unknown as VerifiedDelivery["envelope"], messageId, webhookId: undefined, scheme: "spectrum" };
}

/** Runs `body` with the SQL storage of a fresh ledger object of its own. */
async function withStorage<T>(body: (sql: SqlStorage, transact: <R>(fn: () => R) => R) => T): Promise<T> {
  const stub = env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(`fast-path-${crypto.randomUUID()}`));
  return await runInDurableObject(stub, (_instance, state) => body(state.storage.sql, (fn) => state.storage.transactionSync(fn)));
}

/**
 * A delivery queued on the fast path by an instance that then died, its stored payload corrupted
 * meanwhile; the store of the next instance.
 */
function afterRottenRow(sql: SqlStorage, transact: <R>(fn: () => R) => R, key: string, queued: VerifiedDelivery): LedgerStore {
  new LedgerStore(sql, transact).accept(key, queued, 1_000, undefined, true);
  sql.exec("UPDATE seen SET payload = '{not json' WHERE key = ?", key);
  return new LedgerStore(sql, transact);
}

describe("the ledger's fast path", () => {
  it("stores a delivery in its key's row and clears it once handled: 2 rows written", async () => {
    await withStorage((sql, transact) => {
      const store = new LedgerStore(sql, transact);
      const d = delivery("any;-;+15550007001", "one");
      expect(store.accept("k1", d, 1_000, undefined, true)).toBe("accepted");
      expect(sql.exec("SELECT ref < 0 AS fresh, payload IS NOT NULL AS kept FROM seen WHERE key = 'k1'").one()).toEqual({ fresh: 1, kept: 1 });
      expect(sql.exec("SELECT COUNT(*) AS n FROM open_deliveries").one().n).toBe(0);
      expect(store.nextDue(2_000)?.key).toBe("k1");
      expect(store.accept("k1", d, 1_500)).toBe("in-flight");
      store.finish("k1", 3_000, 1);
      expect(sql.exec("SELECT ref, payload, chat, attempts FROM seen WHERE key = 'k1'").one()).toEqual({ ref: 0, payload: null, chat: null, attempts: null });
      expect(store.accept("k1", d, 4_000)).toBe("duplicate");
      expect(store.nextDue(5_000)).toBeUndefined();
    });
  });

  it("a new instance reads queued deliveries back in arrival order (recover), and runs them", async () => {
    await withStorage((sql, transact) => {
      const before = new LedgerStore(sql, transact);
      before.accept("a", delivery("any;-;+15550007002", "a"), 1_000, undefined, true);
      before.accept("b", delivery("any;-;+15550007003", "b"), 1_000, undefined, true);
      before.accept("c", delivery("any;-;+15550007002", "c"), 1_001, undefined, true);
      // The isolate dies: its memory is gone, the rows stay.
      const after = new LedgerStore(sql, transact);
      expect(after.nextDue(2_000)).toBeUndefined();
      after.recover(2_000);
      const first = after.nextDue(2_000);
      expect(first).toMatchObject({ key: "a", attempts: 1 });
      expect(first?.delivery.envelope.message.content).toMatchObject({ text: "a" });
      expect(after.nextDue(2_000, new Set([first?.chat ?? ""]))?.key).toBe("b");
      after.finish("a", 2_100, 2);
      expect(after.nextDue(2_200)?.key).toBe("b");
      expect(after.inspect("a")).toEqual({ state: "done", attempts: 2, lastError: null });
      expect(after.inspect("c")).toMatchObject({ state: "pending" });
    });
  });

  it("a copy arriving at a new instance that never recovered adopts the queued delivery", async () => {
    await withStorage((sql, transact) => {
      new LedgerStore(sql, transact).accept("lost", delivery("any;-;+15550007004", "lost"), 1_000, undefined, true);
      const after = new LedgerStore(sql, transact);
      expect(after.accept("lost", delivery("any;-;+15550007004", "lost"), 1_200)).toBe("in-flight");
      expect(after.nextDue(1_300)?.key).toBe("lost");
    });
  });

  it("a queued row whose payload cannot be read back is buried with its reason on recovery", async () => {
    await withStorage((sql, transact) => {
      const after = afterRottenRow(sql, transact, "bad", delivery("any;-;+15550007005", "bad"));
      const buried: DeadLetter[] = [];
      after.recover(2_000, (letter) => buried.push(letter));
      expect(buried).toEqual([expect.objectContaining({ key: "bad", error: expect.stringMatching(/cannot be read back/) })]);
      expect(after.inspect("bad")).toMatchObject({ state: "dead" });
      expect(after.nextDue(3_000)).toBeUndefined();
    });
  });

  it("a failed delivery moves to an open row with its payload; due open rows run before the fast path's", async () => {
    await withStorage((sql, transact) => {
      const store = new LedgerStore(sql, transact);
      store.accept("x1", delivery("any;-;+15550007006", "x1"), 1_000, undefined, true);
      store.accept("y1", delivery("any;-;+15550007007", "y1"), 1_001, undefined, true);
      store.retryAt("x1", 5_000, "Error: boom", 1_100);
      expect(sql.exec("SELECT ref > 0 AS open, payload FROM seen WHERE key = 'x1'").one()).toEqual({ open: 1, payload: null });
      expect(store.inspect("x1")).toEqual({ state: "pending", attempts: 1, lastError: "Error: boom" });
      expect(store.nextDue(2_000)?.key).toBe("y1");
      expect(store.nextDueAt()).toBe(1_001);
      store.finish("y1", 2_100);
      expect(store.nextDueAt()).toBe(5_000);
      expect(store.nextDue(5_000)).toMatchObject({ key: "x1", delivery: { envelope: { message: { content: { text: "x1" } } } } });
      store.finish("x1", 5_100, 2);
      expect(store.inspect("x1")).toEqual({ state: "done", attempts: 2, lastError: null });
    });
  });

  it("a ledger stored before the fast path gains its columns and keeps its open rows and keys", async () => {
    await withStorage((sql, transact) => {
      sql.exec(`DROP TABLE seen; DROP TABLE open_deliveries;
        CREATE TABLE seen (key TEXT PRIMARY KEY, ref INTEGER NOT NULL, at INTEGER NOT NULL, attempts INTEGER) WITHOUT ROWID;
        CREATE TABLE open_deliveries (key TEXT NOT NULL, chat TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
          next_at INTEGER NOT NULL, channel TEXT NOT NULL, webhook_id TEXT, last_error TEXT, received_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL, delivery TEXT);`);
      const old = delivery("any;-;+15550007008", "old");
      const ref = sql
        .exec<{ ref: number }>(
          "INSERT INTO open_deliveries (key, chat, state, attempts, next_at, channel, received_at, updated_at, delivery) VALUES ('o1', ?, 'pending', 1, 500, 'webhook', 500, 500, ?) RETURNING rowid AS ref",
          "any;-;+15550007008",
          JSON.stringify(old),
        )
        .one().ref;
      sql.exec("INSERT INTO seen (key, ref, at) VALUES ('o1', ?, 500), ('done1', 0, 400)", ref);
      const store = new LedgerStore(sql, transact);
      expect(store.accept("done1", old, 1_000)).toBe("duplicate");
      expect(store.nextDue(1_000)).toMatchObject({ key: "o1", attempts: 1 });
      expect(store.accept("n1", delivery("any;-;+15550007009", "new"), 1_000, undefined, true)).toBe("accepted");
      store.finish("o1", 1_100, 2);
      expect(store.nextDue(1_200)?.key).toBe("n1");
    });
  });

  it("a copy of a queued row that cannot be read back finds it buried (dead-letter), not in flight forever", async () => {
    await withStorage((sql, transact) => {
      const after = afterRottenRow(sql, transact, "rot", delivery("any;-;+15550007010", "rot"));
      const buried: DeadLetter[] = [];
      expect(after.accept("rot", delivery("any;-;+15550007010", "rot"), 2_000, (letter) => buried.push(letter))).toBe("dead-letter");
      expect(buried).toEqual([expect.objectContaining({ key: "rot", error: expect.stringMatching(/cannot be read back/) })]);
    });
  });

  it("a handled delivery whose clearing write fails stays queued (its row still says so); a failed move keeps it too", async () => {
    await withStorage((sql, transact) => {
      let failOn: RegExp | undefined;
      const flaky = new Proxy(sql, {
        get(target, property, receiver) {
          if (property !== "exec") return Reflect.get(target, property, receiver);
          return (query: string, ...bindings: SqlStorageValue[]) => {
            if (failOn?.test(query)) throw new Error("SQLITE_FULL: database or disk is full");
            return target.exec(query, ...bindings);
          };
        },
      });
      const store = new LedgerStore(flaky, transact);
      store.accept("f1", delivery("any;-;+15550007011", "f1"), 1_000, undefined, true);
      failOn = /^UPDATE seen SET ref = 0/;
      expect(() => store.finish("f1", 1_100)).toThrow(/SQLITE_FULL/);
      expect(store.nextDue(1_200)?.key).toBe("f1");
      failOn = /INSERT INTO open_deliveries/;
      expect(() => store.retryAt("f1", 5_000, "Error: boom", 1_300)).toThrow(/SQLITE_FULL/);
      expect(store.nextDue(1_400)?.key).toBe("f1");
      expect(sql.exec("SELECT ref < 0 AS fresh FROM seen WHERE key = 'f1'").one()).toEqual({ fresh: 1 });
      failOn = undefined;
      store.finish("f1", 1_500);
      expect(store.inspect("f1")).toEqual({ state: "done", attempts: 1, lastError: null });
    });
  });
});

describe("a ledger instance that starts while its alarm is armed", () => {
  it("its first alarm reads back the fast-path rows a dead isolate left, even after a webhook came first and saw no alarm", { timeout: 30_000 }, async () => {
    const text = `left ${crypto.randomUUID().slice(0, 8)}`;
    const left = inOwnDm("dm-text", { type: "text", text });
    await seedInbound(env.SIMULATOR_URL, left.body);
    const stub = env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(ledgerNameOf(left.chatGuid)));
    const key = await deliveryKeyOf(left.messageId);
    const envelope = JSON.parse(left.body) as SlimEnvelope;
    await runInDurableObject(stub, async (instance: InstanceType<typeof DeliveryLedger>, state) => {
      // What a dead isolate leaves: a fast-path row this instance's memory does not hold, and (as the
      // runtime shows it while an armed alarm is about to run) no alarm.
      new LedgerStore(state.storage.sql, (fn) => state.storage.transactionSync(fn)).accept(
        key,
        { envelope, messageId: envelope.message.id, webhookId: "wh_left", scheme: "spectrum" },
        Date.now(),
        undefined,
        true,
      );
      await state.storage.deleteAlarm();
      // A webhook for another conversation comes first: it sees no alarm, so it does not scan.
      const other = inOwnDm("dm-text", { type: "text", text: "other" });
      const otherEnvelope = JSON.parse(other.body) as SlimEnvelope;
      await instance.accept({ envelope: otherEnvelope, messageId: otherEnvelope.message.id, webhookId: "wh_other", scheme: "spectrum" }, `msg:${otherEnvelope.message.id}`);
      await instance.alarm();
    });
    await vi.waitFor(async () => expect(await stub.inspect(key)).toMatchObject({ state: "done" }), { timeout: 15_000, interval: 100 });
    const { delivered } = await sim.sends({ chatPrefix: left.chatGuid });
    expect(delivered.filter((m) => m.text === `You said: ${text}`)).toHaveLength(1);
  });
});
