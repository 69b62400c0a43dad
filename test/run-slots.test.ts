/**
 * The isolate-wide bound on deliveries run at once: it holds, a slot whose holder vanished comes back
 * when its lease runs out, and a wake-up lost on a waiter that never resumes stalls the others only
 * until their re-check.
 */
import { describe, expect, it } from "vitest";
import { RunSlots } from "../src/ledger/run-slots.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("run slots", () => {
  it("runs at most `limit` tasks at once, and every task", async () => {
    const slots = new RunSlots({ limit: 3, leaseMs: 60_000, recheckMs: 1_000 });
    let now = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        slots.run(async () => {
          now++;
          peak = Math.max(peak, now);
          await sleep(5);
          now--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(slots.inUse()).toBe(0);
  });

  it("a task that throws gives its slot back", async () => {
    const slots = new RunSlots({ limit: 1, leaseMs: 60_000, recheckMs: 1_000 });
    await expect(slots.run(async () => Promise.reject(new Error("handler failed")))).rejects.toThrow("handler failed");
    expect(await slots.run(async () => "next")).toBe("next");
  });

  it("a holder that never finishes (its object reset mid-run) frees its slot when the lease runs out", async () => {
    const slots = new RunSlots({ limit: 1, leaseMs: 80, recheckMs: 20 });
    void slots.run(() => new Promise<void>(() => {}));
    const started = Date.now();
    expect(await slots.run(async () => "ran")).toBe("ran");
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it("a slot given back wakes only a waiter of the same owner; another owner's waiter takes it at its re-check", async () => {
    // Code resumed by another Durable Object would run in that object's I/O context (workerd refuses its storage there).
    const slots = new RunSlots({ limit: 1, leaseMs: 60_000, recheckMs: 150 });
    const a = {};
    const b = {};
    let release!: () => void;
    const holding = slots.run(() => new Promise<void>((resolve) => (release = resolve)), a);
    const order: string[] = [];
    const other = slots.run(async () => void order.push("b"), b);
    const same = slots.run(async () => void order.push("a"), a);
    await sleep(20);
    release();
    await holding;
    await same;
    expect(order).toEqual(["a"]);
    const started = Date.now();
    await other;
    expect(order).toEqual(["a", "b"]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("a wake-up that goes to a waiter which never takes it stalls the next waiter only until its re-check", async () => {
    const slots = new RunSlots({ limit: 1, leaseMs: 60_000, recheckMs: 50 });
    let release!: () => void;
    const holding = slots.run(() => new Promise<void>((resolve) => (release = resolve)));
    // A waiter whose wake-up is swallowed: as if its Durable Object were gone when it came.
    const waiters = (slots as unknown as { waiters: Set<() => void> }).waiters;
    const lost = (): void => {
      waiters.delete(lost);
    };
    waiters.add(lost);
    const next = slots.run(async () => "ran");
    release();
    await holding;
    const started = Date.now();
    expect(await next).toBe("ran");
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
