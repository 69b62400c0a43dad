/**
 * @module ledger/ledger-timing
 * The delivery ledger's clocks and limits: the watchdog, how long an alarm waits for its drain, how
 * many conversations and deliveries run at once, and the isolate's run slots they share.
 */
import { RunSlots } from "./run-slots.ts";

/** If this isolate dies while a handler runs, the alarm resumes the delivery this long afterwards. */
export const RESUME_AFTER_MS = 10_000;
/**
 * An alarm waits this long for its drain, then re-arms the watchdog and returns: an alarm may run 15
 * minutes, a busy ledger's drains run as long as deliveries keep coming.
 */
export const ALARM_WAIT_MS = 10 * 60_000;
/** A delivery whose thread lock is still held (by a run that died) waits this long before the next try. */
export const LOCK_RETRY_MS = 2_000;
/** Conversations one ledger runs at once, each one delivery at a time (at most 90: see `LedgerStore.nextDue`). */
export const RUNS_PER_LEDGER = 24;
/**
 * Deliveries run at once in one isolate, across its ledgers. Each conversation runs one at a
 * time already; this bounds a burst of thousands of new conversations (ledgers share isolates) so
 * their outbound calls queue here instead of timing out downstream.
 */
export const RUNS_PER_ISOLATE = 24;
/** A run slot is considered abandoned (its Durable Object reset mid-run) after this long. */
export const RUN_SLOT_LEASE_MS = 15 * 60_000;
// Waiters of other ledgers look for a free slot on their own timer (see `RunSlots.run`): often.
export const slots = new RunSlots({ limit: RUNS_PER_ISOLATE, leaseMs: RUN_SLOT_LEASE_MS, recheckMs: 200 });
/** A drain that failed before running anything (e.g. the bot factory threw) is tried again this much later. */
export const DRAIN_FAILED_RETRY_MS = 60_000;

/** How often handled deliveries past their retention are pruned. */
export const PRUNE_EVERY_MS = 24 * 3600 * 1000;
