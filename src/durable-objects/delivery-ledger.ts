/**
 * @module durable-objects/delivery-ledger
 * Durable execution of deliveries. Conversations are spread by chat GUID over `LEDGER_SHARDS`
 * Durable Objects; the webhook route records a delivery in its conversation's ledger (one request)
 * and answers 200; the ledger then runs it to completion, many conversations at once but each
 * conversation one delivery at a time in arrival order, retrying with backoff and keeping what
 * fails for good as a dead letter. Whatever dies — the isolate, the Worker on a
 * deploy, the 30 s `waitUntil` budget — a delivery recorded here is run again until it is done.
 *
 * The handlers belong to a bot, so a Worker binds the class to its own bot factory:
 *
 * ```ts
 * export class DeliveryLedger extends createDeliveryLedgerDurableObject(createBot) {}
 * ```
 */
import { DurableObject } from "cloudflare:workers";
import { LockError, type Logger } from "chat";
import type { AcceptStatus } from "../ledger/ledger.ts";
import { ledgerNameOf } from "../ledger/keys.ts";
import { whileOwned } from "../ledger/ownership.ts";
import { LedgerStore, type DeadLetter, type DueDelivery } from "../ledger/store.ts";
import { OutboundBudget } from "../ledger/outbound-budget.ts";
import { Drains, type Drain } from "../ledger/drains.ts";
import { sleep } from "../core/sleep.ts";
import type { DurableObjectBinding } from "../core/durable-object-binding.ts";
import { MAX_DELIVERY_ATTEMPTS, redeliveryDelayMs } from "../ledger/retry-policy.ts";
import { classifyFailure, describeError as describe, InterruptedError } from "../ledger/failures.ts";
import { readyAdapter, type GatewayBot } from "../adapter/bot.ts";
import type { iMessageBindings } from "./bindings.ts";
import { isolateAdapter, type FoundAdapter } from "./isolate-bot.ts";
import { gatewayStub } from "./gateway.ts";
import type { GatewayDurableObject } from "./gateway.ts";
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { ALARM_WAIT_MS, DRAIN_FAILED_RETRY_MS, LOCK_RETRY_MS, PRUNE_EVERY_MS, RESUME_AFTER_MS, RUNS_PER_LEDGER, slots } from "../ledger/ledger-timing.ts";

/** Environment the ledger reads besides what the bot factory needs. */
export interface DeliveryLedgerEnv {
  /** Wait before the second attempt of a failed delivery, in ms (default 30 000; ×4 per attempt, at most an hour). */
  IMESSAGE_REDELIVERY_BASE_MS?: string;
  /** The longest wait between two attempts, in ms (default and at most an hour; a server's `Retry-After` is still honoured). */
  IMESSAGE_REDELIVERY_MAX_MS?: string;
  /** The gateway, which keeps the index of dead letters across conversations. */
  GATEWAY?: DurableObjectBinding<GatewayDurableObject>;
}

/** A positive number of milliseconds from a var, else the fallback. */
function positiveMs(value: string | undefined, fallback: number): number {
  const ms = Number(value ?? fallback);
  return Number.isFinite(ms) && ms > 0 ? ms : fallback;
}

const UNBOUND =
  "To bind the ledger to your bot instead: export class DeliveryLedger extends createDeliveryLedgerDurableObject(() => bot) {} from your Worker";

/**
 * The delivery ledger Durable Object: records each delivery once (the message id is the key), answers
 * the webhook, and runs the bot's handlers to completion here, outside any request, with retries and
 * dead letters. Extend it and override `bot()`, or build it with {@link createDeliveryLedgerDurableObject}.
 *
 * @example
 * ```ts
 * export class DeliveryLedger extends DeliveryLedgerBase<Env> {
 *   protected override bot() { return createBot(this.env); }
 * }
 * ```
 */
export class DeliveryLedgerBase<E extends object = iMessageBindings> extends DurableObject<E> {
  /**
   * The bot whose handlers run the deliveries (the same one the Worker's webhook route uses). Override it
   * in a subclass, or build the class with {@link createDeliveryLedgerDurableObject}; undefined: the
   * ledger runs them with the adapter the Worker's module-level bot initialized in this isolate.
   */
  protected bot(): GatewayBot | undefined {
    return undefined;
  }

  /** Set once a run found no bot to run deliveries with: attempts are not counted for what cannot run. */
  private unbound = false;

  readonly store: LedgerStore;
  /** The drains of this instance, one per invocation that started one. */
  private readonly drains = new Drains(
    (drain) => this.runDue(drain),
    async (error) => {
      console.error(`Deliveries could not be run (${describe(error)}); trying again in ${DRAIN_FAILED_RETRY_MS / 1000} s`);
      await this.ctx.storage.setAlarm(Date.now() + DRAIN_FAILED_RETRY_MS);
    },
  );
  /** Conversations (chat GUIDs) with a delivery running in this instance. */
  private readonly busy = new Set<string>();
  /** Deliveries running in this instance, by key. */
  private readonly running = new Set<string>();
  /** Deliveries whose accept counted their first attempt (no write when it starts). */
  private readonly counted = new Set<string>();
  /** When the alarm being handled now began (an alarm older than this is that one, gone once it returns). */
  private alarmSince: number | undefined;
  /** When handled deliveries were last pruned by this instance (0: not yet). */
  private prunedAt = 0;

  /** Set once this instance has read back the fast-path deliveries an earlier one may have left. */
  private scanned = false;
  /** Set once a call into this instance looked for an alarm left by an earlier one. */
  private checked = false;

  /**
   * Reads back the deliveries a dead isolate left on the fast path (see `ledger/fresh-queue`), once per
   * instance: on its first call when an alarm is set (a watchdog stands behind every such row), and in
   * its first alarm whatever that call saw — while the runtime has an alarm armed to run, `getAlarm()`
   * answers null, so a webhook that comes first cannot tell.
   */
  private async recovered(inAlarm: boolean): Promise<void> {
    if (this.scanned) return;
    if (!inAlarm) {
      if (this.checked) return;
      this.checked = true;
      if ((await this.ctx.storage.getAlarm()) === null || this.scanned) return;
    }
    this.store.recover(Date.now(), (letter) => this.buried(letter));
    this.scanned = true;
    this.drains.wake();
  }

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    this.store = new LedgerStore(ctx.storage.sql, (body) => ctx.storage.transactionSync(body));
  }

  /**
   * Records a delivery once and starts running it in this object right away, after answering; a
   * watchdog alarm resumes it should this isolate die first. See {@link AcceptStatus}.
   */
  async accept(delivery: VerifiedDelivery, key: string): Promise<AcceptStatus> {
    await this.recovered(false);
    // It is handed to a drain at once, so the insert counts its first attempt (unless no bot can run it).
    const countFirst = !this.unbound;
    const status = this.store.accept(key, delivery, Date.now(), (letter) => this.buried(letter), countFirst);
    if (status === "accepted" && countFirst) this.counted.add(key);
    // A copy of an open delivery too: whatever happened to the first, a watchdog stands behind it and a
    // drain picks it up (the copy may have found it only now, left by a dead isolate).
    if (status === "accepted" || status === "in-flight") await this.runSoon();
    return status;
  }

  /** Arms the watchdog, then has a drain run what is due, after answering. */
  private async runSoon(): Promise<void> {
    await this.wakeBy(Date.now() + RESUME_AFTER_MS);
    this.ctx.waitUntil(this.drains.kick());
  }

  /** This ledger's dead letters. */
  async deadLetters(): Promise<DeadLetter[]> {
    return this.store.deadLetters();
  }

  /** Runs a dead letter again with a fresh attempt budget; false when `key` is not a dead letter here. */
  async replay(key: string): Promise<boolean> {
    await this.recovered(false);
    const revived = this.store.revive(key, Date.now());
    if (revived) await this.runSoon();
    return revived;
  }

  /** The state of one delivery key (tests, diagnostics). */
  async inspect(key: string) {
    const row = this.store.inspect(key);
    return row?.state === "pending" && this.running.has(key) ? { ...row, state: "running" as const } : row;
  }

  override async alarm(): Promise<void> {
    await this.recovered(true);
    this.alarmSince = Date.now();
    try {
      const drain = this.drains.start(new OutboundBudget(), true);
      const stop = new AbortController();
      const waited = sleep(ALARM_WAIT_MS, stop.signal).then(() => "waiting" as const);
      const outcome = await Promise.race([drain.done.then(() => "drained" as const), waited]);
      stop.abort();
      drain.keep = false;
      // Deliveries still running (this drain's, or another invocation's): a watchdog stands behind them.
      if (outcome === "waiting" || this.drains.size > 0) await this.wakeBy(Date.now() + RESUME_AFTER_MS);
    } finally {
      this.alarmSince = undefined;
    }
  }

  /** The adapter whose handlers run deliveries: the bound bot's, else the one this isolate's bot initialized. */
  private async runner(): Promise<FoundAdapter> {
    const bot = this.bot();
    if (bot) return { adapter: await readyAdapter(bot) };
    return await isolateAdapter(this.ctx, () => this.store.routePath());
  }

  private async runDue(drain: Drain): Promise<void> {
    const found = await this.runner();
    if ("why" in found) {
      this.unbound = true;
      console.error(`Deliveries wait (kept, retried in ${DRAIN_FAILED_RETRY_MS / 1000} s): ${found.why}. ${UNBOUND}`);
      await this.ctx.storage.setAlarm(Date.now() + DRAIN_FAILED_RETRY_MS);
      return;
    }
    this.unbound = false;
    const adapter = found.adapter;
    const runs = new Set<Promise<void>>();
    for (;;) {
      const changed = this.drains.next;
      const now = Date.now();
      while (!drain.closing && this.busy.size < RUNS_PER_LEDGER && drain.budget.canStart()) {
        const due = this.store.nextDue(now, this.busy, (letter) => this.buried(letter));
        if (!due) break;
        this.busy.add(due.chat);
        const run: Promise<void> = drain.budget.run(() => this.runOne(adapter, due)).finally(() => {
          this.busy.delete(due.chat);
          runs.delete(run);
          this.drains.wake();
        });
        runs.add(run);
      }
      if (!drain.closing && drain.budget.spent()) await this.handOff(drain);
      if (runs.size === 0 && !(drain.keep && !drain.closing && this.drains.size > 1)) break;
      // A retry falling due while handlers run starts on time.
      const dueAt = !drain.closing && this.busy.size < RUNS_PER_LEDGER ? this.store.nextDueAt(this.busy) : undefined;
      const stop = new AbortController();
      const retryDue = dueAt !== undefined && dueAt > now ? sleep(dueAt - now, stop.signal) : changed;
      await Promise.race([...runs, changed, retryDue]);
      stop.abort();
    }
    drain.closing = true;
    const now = Date.now();
    if (this.drains.size > 1) {
      // Other drains still run: the last one settles the alarm; what waits outside them must wake it.
      const next = this.store.nextDueAt(this.busy);
      if (next !== undefined) await this.wakeBy(Math.max(next, now));
      return;
    }
    const next = this.store.nextDueAt();
    if (next !== undefined) {
      await this.ctx.storage.setAlarm(Math.max(next, now));
      return;
    }
    if (now - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = now;
      if (this.store.prune(now) > 0) {
        await this.ctx.storage.setAlarm(now + PRUNE_EVERY_MS);
        return;
      }
    }
    // Nothing open: no alarm invocation is billed for a delivery that completed in its own run.
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm !== null && alarm - now < PRUNE_EVERY_MS / 2) await this.ctx.storage.deleteAlarm();
  }

  /**
   * This invocation's outbound budget is spent: it starts nothing more and an alarm set for now runs
   * what is due in a fresh invocation (other drains with budget left are woken to start it sooner).
   */
  private async handOff(drain: Drain): Promise<void> {
    drain.closing = true;
    drain.keep = false;
    const next = this.store.nextDueAt(this.busy);
    if (next !== undefined) await this.wakeBy(Math.max(next, Date.now()));
    this.drains.wake();
  }

  /**
   * One attempt of one delivery (its conversation marked busy); never rejects. The attempt was
   * counted by the accept (a delivery started right away), else it is counted once the isolate has a
   * run slot for it, so a crash while it waits costs no attempt.
   */
  private async runOne(adapter: Awaited<ReturnType<typeof readyAdapter>>, due: DueDelivery): Promise<void> {
    const counted = this.counted.delete(due.key);
    const before = counted ? due.attempts - 1 : due.attempts;
    const attempt = before + 1;
    try {
      await slots.run(async () => {
        const now = Date.now();
        if (before >= MAX_DELIVERY_ATTEMPTS) {
          // Every attempt so far was cut off (the isolate died each time): stop, keep it as a dead letter.
          throw new InterruptedError(before);
        }
        if (!counted) this.store.start(due.key, now);
        // The watchdog: should this isolate die inside the handler, the runtime fires the alarm again.
        await this.wakeBy(now + RESUME_AFTER_MS);
        this.running.add(due.key);
        try {
          await whileOwned(due.chat, () => adapter.runDelivery(due.delivery, { key: due.key, attempt }));
        } finally {
          this.running.delete(due.key);
        }
      }, this);
      this.store.finish(due.key, Date.now(), attempt);
    } catch (error) {
      try {
        await this.failed(due.key, due.chat, attempt, error, adapter.logger);
      } catch (bookkeeping) {
        // The row stays open as it was; its conversation stays busy here until the watchdog's time.
        adapter.logger.error(`Delivery ${due.key} failed and could not be rescheduled; the watchdog resumes it`, {
          key: due.key,
          error: describe(bookkeeping),
        });
        await sleep(RESUME_AFTER_MS);
      }
    }
  }

  private async failed(
    key: string,
    chat: string,
    attempt: number,
    error: unknown,
    logger: Logger,
  ): Promise<void> {
    const now = Date.now();
    const text = describe(error);
    if (error instanceof LockError) {
      // A run that died still holds the thread's lock until its TTL: wait it out without spending an attempt.
      logger.debug(`Delivery ${key} waits for its thread's lock`, { key });
      this.store.retryAt(key, now + LOCK_RETRY_MS, text, now, false);
      return;
    }
    const failure = classifyFailure(error);
    if (failure.kind === "permanent" || error instanceof InterruptedError || attempt >= MAX_DELIVERY_ATTEMPTS) {
      // A permanent failure's reason says what to fix; an exhausted one keeps its last error.
      const reason = failure.kind === "permanent" ? failure.reason : text;
      const letter = this.store.bury(key, reason, now);
      logger.error(
        `Delivery ${key} failed for good after ${attempt} attempt(s) and is kept as a dead letter: list with GET /api/imessage/dead-letters, replay with POST /api/imessage/dead-letters`,
        { key, error: reason },
      );
      if (letter) await this.indexDeadLetter(chat, letter);
      return;
    }
    const env = this.env as DeliveryLedgerEnv;
    const delay = redeliveryDelayMs(attempt, positiveMs(env.IMESSAGE_REDELIVERY_BASE_MS, 30_000), failure.retryAfterMs, positiveMs(env.IMESSAGE_REDELIVERY_MAX_MS, 3_600_000));
    this.store.retryAt(key, now + delay, text, now);
    logger.warn(`Delivery ${key} failed (attempt ${attempt} of ${MAX_DELIVERY_ATTEMPTS}); next attempt in ${Math.round(delay / 1000)} s`, {
      key,
      error: text,
    });
  }

  /** A delivery the store buried itself (too big to keep, or unreadable): logged once with the reason and indexed. */
  private buried(letter: DeadLetter): void {
    console.error(
      `Delivery ${letter.key} is kept as a dead letter without running (${letter.error}); the ledger goes on with the next: list with GET /api/imessage/dead-letters`,
    );
    this.ctx.waitUntil(this.indexDeadLetter(letter.chatGuid, letter));
  }

  /** Lists a dead letter in the gateway's index (what GET /api/imessage/dead-letters reads); a failure is logged. */
  private async indexDeadLetter(chat: string, letter: DeadLetter): Promise<void> {
    const gateway = (this.env as DeliveryLedgerEnv).GATEWAY;
    if (!gateway) return;
    await gatewayStub(gateway)
      .recordDeadLetter(ledgerNameOf(chat), letter)
      .catch((error: unknown) => console.warn(`Could not index dead letter ${letter.key} in the gateway (${describe(error)})`));
  }

  /** Makes sure the alarm fires by `at` (the alarm being handled right now does not count: it is gone once it returns). */
  private async wakeBy(at: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    const handled = alarm !== null && this.alarmSince !== undefined && alarm <= this.alarmSince;
    if (alarm === null || handled || alarm > at) await this.ctx.storage.setAlarm(at);
  }
}

/**
 * The ledger Durable Object class for a bot. `bot(env)` must build the same bot the Worker's webhook
 * route uses; its handlers run here, outside any request, with no 30 s limit.
 *
 * @example
 * ```ts
 * export class DeliveryLedger extends createDeliveryLedgerDurableObject((env: Env) => createBot(env)) {}
 * ```
 */
export function createDeliveryLedgerDurableObject<E extends object = iMessageBindings>(
  bot?: (env: E) => GatewayBot,
): new (ctx: DurableObjectState, env: E) => DeliveryLedgerBase<E> {
  return class DeliveryLedgerForBot extends DeliveryLedgerBase<E> {
    protected override bot(): GatewayBot | undefined {
      return bot?.(this.env);
    }
  };
}

/** The instance type of a ledger class (what `env.DELIVERY_LEDGER` stubs expose). */
export type DeliveryLedgerDurableObject = DeliveryLedgerBase;

/**
 * The ledger for a Worker whose bot is built at module level and serves `bot.webhooks.imessage`: it
 * runs deliveries with the adapter that bot initialized in its isolate, waking the Worker's fetch
 * handler through `ctx.exports` when nothing has yet (see `durable-objects/isolate-bot`).
 * `createDeliveryLedgerDurableObject` binds it to a bot explicitly.
 *
 * @example
 * ```ts
 * export { DeliveryLedger, GatewayDO } from "chat-adapter-imessage/worker";
 * ```
 */
export class DeliveryLedger extends DeliveryLedgerBase {}
