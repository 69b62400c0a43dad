/**
 * A ledger deployed with the first layout (one `deliveries` table with each key's state) keeps its
 * promise after the upgrade: handled keys still dedupe, waiting deliveries run in arrival order, a run
 * that was cut off keeps its attempts (six cut off: a dead letter), dead letters stay listed and
 * replayable.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { LedgerStore } from "../src/ledger/store.ts";
import type { DeliveryLedger } from "../demo/index.ts";
import type { VerifiedDelivery } from "../src/webhook/receive.ts";
import { inOwnDm, seedInbound } from "./helpers.ts";
import { sim } from "./outbound-helpers.ts";

/** The first layout, as deployed. */
const LEGACY = `CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, chat TEXT NOT NULL, state TEXT NOT NULL, delivery TEXT,
  channel TEXT NOT NULL, webhook_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  last_error TEXT, received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX deliveries_open ON deliveries (next_at) WHERE state IN ('pending', 'running');`;

function row(sql: SqlStorage, key: string, state: string, delivery: VerifiedDelivery | null, attempts: number, at: number, error?: string): void {
  sql.exec(
    `INSERT INTO deliveries (key, chat, state, delivery, channel, webhook_id, attempts, next_at, last_error, received_at, updated_at)
     VALUES (?, ?, ?, ?, 'webhook', 'wh_legacy', ?, ?, ?, ?, ?)`,
    key,
    delivery?.envelope.message.space.id ?? "any;-;+15550000001",
    state,
    delivery ? JSON.stringify(delivery) : null,
    attempts,
    at,
    error ?? null,
    at,
    at,
  );
}

describe("upgrading a ledger from the `deliveries` table", () => {
  it("moves its rows on first start and goes on from where the old code stopped", { timeout: 30_000 }, async () => {
    const dm = inOwnDm("dm-text", { type: "text", text: "waited through the upgrade" });
    await seedInbound(env.SIMULATOR_URL, dm.body);
    const second = JSON.parse(dm.body);
    second.message.id = crypto.randomUUID();
    second.message.content = { type: "text", text: "also waited" };
    await seedInbound(env.SIMULATOR_URL, JSON.stringify(second));
    const pending: VerifiedDelivery = { envelope: JSON.parse(dm.body), messageId: dm.messageId, webhookId: "wh_legacy", scheme: "spectrum" };
    const later: VerifiedDelivery = { envelope: second, messageId: second.message.id, webhookId: "wh_legacy", scheme: "spectrum" };
    const crashing = inOwnDm("dm-text", { type: "text", text: "killed its isolate six times" });
    const cutOff: VerifiedDelivery = { envelope: JSON.parse(crashing.body), messageId: crashing.messageId, webhookId: "wh_legacy", scheme: "spectrum" };
    const deadDm = inOwnDm("dm-text", { type: "text", text: "dead before the upgrade" });
    await seedInbound(env.SIMULATOR_URL, deadDm.body);
    const dead: VerifiedDelivery = { envelope: JSON.parse(deadDm.body), messageId: deadDm.messageId, webhookId: "wh_legacy", scheme: "spectrum" };
    const stub = env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(`ledger-upgrade-${crypto.randomUUID()}`));
    const t = Date.now() - 60_000;

    await runInDurableObject(stub, async (instance: InstanceType<typeof DeliveryLedger>, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE seen; DROP TABLE open_deliveries;");
      sql.exec(LEGACY);
      row(sql, "msg:done-1", "done", null, 1, t);
      row(sql, "msg:done-3", "done", null, 3, t + 1);
      row(sql, `msg:${dm.messageId}`, "running", pending, 1, t + 2);
      row(sql, "msg:dead", "dead", dead, 6, t + 3, "ValidationError: refused");
      row(sql, `msg:${second.message.id}`, "pending", later, 0, t + 4);
      row(sql, `msg:${crashing.messageId}`, "running", cutOff, 6, t + 5);

      // What the Durable Object's constructor does on its first start with the new code.
      const store = new LedgerStore(sql, (body) => state.storage.transactionSync(body));
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'deliveries'").toArray()).toEqual([]);
      expect(store.inspect("msg:done-1")).toEqual({ state: "done", attempts: 1, lastError: null });
      expect(store.inspect("msg:done-3")).toMatchObject({ state: "done", attempts: 3 });
      expect(store.inspect("msg:dead")).toMatchObject({ state: "dead", attempts: 6, lastError: "ValidationError: refused" });
      expect(store.inspect(`msg:${dm.messageId}`)).toMatchObject({ state: "pending", attempts: 1 });
      expect(store.accept("msg:done-3", pending, Date.now())).toBe("duplicate");
      expect(store.accept("msg:dead", pending, Date.now())).toBe("dead-letter");
      expect(store.accept(`msg:${second.message.id}`, later, Date.now())).toBe("in-flight");
      expect(store.deadLetters().map((l) => l.key)).toEqual(["msg:dead"]);
      // Arrival order kept: the one that was running comes first.
      expect(store.nextDue(Date.now())?.key).toBe(`msg:${dm.messageId}`);
      expect(instance.store.inspect("msg:done-1")).toMatchObject({ state: "done" });
      await state.storage.setAlarm(Date.now() + 50);
    });

    // The watchdog runs what waited, in order; the one cut off six times becomes a dead letter.
    await vi.waitFor(
      async () => {
        const { delivered } = await sim.sends({ chatPrefix: dm.chatGuid });
        expect(delivered.filter((m) => m.chatGuid === dm.chatGuid).map((m) => m.text)).toEqual([
          "You said: waited through the upgrade",
          "You said: also waited",
        ]);
      },
      { timeout: 15_000, interval: 100 },
    );
    await vi.waitFor(async () => expect(await stub.inspect(`msg:${second.message.id}`)).toMatchObject({ state: "done", attempts: 1 }), { timeout: 5_000 });
    expect(await stub.inspect(`msg:${dm.messageId}`)).toMatchObject({ state: "done", attempts: 2 });
    await vi.waitFor(
      async () => expect(await stub.inspect(`msg:${crashing.messageId}`)).toMatchObject({ state: "dead", attempts: 6, lastError: expect.stringMatching(/Interrupted/) }),
      { timeout: 5_000 },
    );
    expect((await sim.sends({ chatPrefix: crashing.chatGuid })).delivered).toEqual([]);
    expect(await stub.accept(pending, "msg:done-1")).toBe("duplicate");
    // A dead letter from before the upgrade replays.
    expect(await stub.replay("msg:dead")).toBe(true);
    await vi.waitFor(async () => expect(await stub.inspect("msg:dead")).toMatchObject({ state: "done" }), { timeout: 10_000 });
    expect((await sim.sends({ chatPrefix: deadDm.chatGuid })).delivered.map((m) => m.text)).toEqual(["You said: dead before the upgrade"]);
  });
});
