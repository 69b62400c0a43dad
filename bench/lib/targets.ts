/**
 * @module bench/lib/targets
 * The issue's targets ("cheap and inside Cloudflare's limits"), each checked against the bench's
 * results, and the plan-fit lines written from them: what is met and what that means for the Workers
 * Free and Paid plans' per-invocation limits.
 */
import type { BenchResults } from "./results.ts";

/** The targets, as numbers. Ratios are ours ÷ reference (in-process) or ours ÷ calibration (wrangler dev). */
export const TARGETS = {
  rowsWrittenFirst: 8,
  rowsWrittenLater: 3,
  rowsWrittenDuplicate: 0,
  usdPerMillionUnique: 3.5,
  maxSubrequestsBurst100: 40,
  loadThroughputRatio: 0.9,
  loadAckP99Ratio: 1.3,
  workerdCpuRatio: 1.3,
  inProcessP50Ratio: 1.0,
} as const;

/** Per-invocation limits of the Workers plans (developers.cloudflare.com/workers/platform/limits). */
export const PLAN_LIMITS = {
  free: { cpuMs: 10, subrequests: 50 },
  paid: { cpuMs: 30_000, subrequests: 1_000 },
} as const;

/** One target: its label, whether it is met (undefined: not measured in this run). */
export interface TargetCheck {
  label: string;
  met: boolean | undefined;
}

/**
 * Every target with its verdict (undefined when the section was not run or the figure is not measured).
 *
 * @example
 * const unmet = checkTargets(results).filter((t) => t.met === false);
 */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const o = results.operations;
  const unique = results.load?.unique;
  const dup = results.load?.duplicates30;
  const sub = results.subrequests;
  return [
    { label: `rows written, first message ≤ ${TARGETS.rowsWrittenFirst}`, met: o && o.firstOfConversation.sqlRowsWritten <= TARGETS.rowsWrittenFirst },
    { label: `rows written, later message ≤ ${TARGETS.rowsWrittenLater}`, met: o && o.unique.sqlRowsWritten <= TARGETS.rowsWrittenLater },
    { label: "rows written, duplicate 0", met: o && o.duplicate.sqlRowsWritten <= TARGETS.rowsWrittenDuplicate },
    { label: `$ per million unique ≤ $${TARGETS.usdPerMillionUnique.toFixed(2)}`, met: results.cost && results.cost.usdPerMillionUnique <= TARGETS.usdPerMillionUnique },
    { label: `subrequests in one invocation, burst of 100 ≤ ${TARGETS.maxSubrequestsBurst100}`, met: sub && sub.maxPerInvocation <= TARGETS.maxSubrequestsBurst100 },
    { label: `deliveries/s ≥ ${TARGETS.loadThroughputRatio}× calibration (unique)`, met: unique && unique.ratio.perSecond >= TARGETS.loadThroughputRatio },
    { label: `deliveries/s ≥ ${TARGETS.loadThroughputRatio}× calibration (30 % duplicates)`, met: dup && dup.ratio.perSecond >= TARGETS.loadThroughputRatio },
    { label: `ack p99 ≤ ${TARGETS.loadAckP99Ratio}× calibration (unique)`, met: unique && unique.ratio.ackP99 <= TARGETS.loadAckP99Ratio },
    { label: `ack p99 ≤ ${TARGETS.loadAckP99Ratio}× calibration (30 % duplicates)`, met: dup && dup.ratio.ackP99 <= TARGETS.loadAckP99Ratio },
    { label: `workerd CPU per delivery ≤ ${TARGETS.workerdCpuRatio}× calibration`, met: unique && unique.ratio.cpuMsPerDelivery <= TARGETS.workerdCpuRatio },
    { label: `in-process p50 ≤ ${TARGETS.inProcessP50Ratio.toFixed(1)}× reference`, met: results.inProcess && results.inProcess.ratio.p50 <= TARGETS.inProcessP50Ratio },
  ];
}

/**
 * A few lines under the table, written from the figures: which targets are met, and what the CPU and
 * subrequest figures mean against the Free and Paid plans' per-invocation limits.
 *
 * @example
 * lines.push(...planFit(results));
 */
export function planFit(results: BenchResults): string[] {
  const checks = checkTargets(results);
  const measured = checks.filter((c) => c.met !== undefined);
  const unmet = measured.filter((c) => c.met === false).map((c) => c.label);
  const notMeasured = checks.filter((c) => c.met === undefined).map((c) => c.label);
  const lines = [
    `**Targets met: ${measured.length - unmet.length} of ${measured.length} measured**` +
      (unmet.length > 0 ? `; not met: ${unmet.join("; ")}` : "") +
      (notMeasured.length > 0 ? `; not measured in this run: ${notMeasured.join("; ")}` : "") +
      ".",
  ];
  const cpu = results.load?.unique.ours.cpuMsPerDelivery;
  if (cpu !== undefined && Number.isFinite(cpu)) {
    const { free, paid } = PLAN_LIMITS;
    lines.push(
      `CPU: a unique delivery used ${cpu.toFixed(1)} ms of workerd CPU under \`wrangler dev\` (the webhook invocation and the Durable Object's handler run together, unminified; production differs), ` +
        (cpu <= free.cpuMs
          ? `under the Free plan's ${free.cpuMs} ms per invocation even if one invocation did all of it`
          : `more than the Free plan's ${free.cpuMs} ms per invocation in total; it is split between those two invocations, and this figure does not show whether each stays under ${free.cpuMs} ms`) +
        `; on Paid it is ${((cpu / paid.cpuMs) * 100).toFixed(2)} % of the default ${paid.cpuMs / 1000} s.`,
    );
  }
  const sub = results.subrequests;
  lines.push(
    sub
      ? `Subrequests: at most ${sub.maxPerInvocation} in one invocation during a burst of ${sub.burst} — ${sub.maxPerInvocation <= PLAN_LIMITS.free.subrequests ? "inside" : "**over**"} the Free plan's ${PLAN_LIMITS.free.subrequests}, ${sub.maxPerInvocation <= PLAN_LIMITS.paid.subrequests ? "inside" : "**over**"} Paid's ${PLAN_LIMITS.paid.subrequests.toLocaleString("en-US")}.`
      : `Subrequests per invocation: not measured in this run (Free allows ${PLAN_LIMITS.free.subrequests}, Paid ${PLAN_LIMITS.paid.subrequests.toLocaleString("en-US")}).`,
  );
  if (results.cost) {
    lines.push(
      `Cost: $${results.cost.usdPerMillionUnique.toFixed(2)} per million unique deliveries beyond Paid's included amounts (target ≤ $${TARGETS.usdPerMillionUnique.toFixed(2)}).`,
    );
  }
  return lines;
}
