/**
 * @module bench/lib/stats
 * Percentiles and medians of the bench's samples.
 */

/**
 * The `p`-th percentile (nearest rank) of samples sorted ascending; NaN when there are none.
 *
 * @example
 * percentile([1, 2, 3, 4], 50); // 3
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * The median of the values (mean of the middle two for an even count); NaN when there are none.
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** p50/p90/p99 of latencies in the unit they were given in. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
}

/**
 * Summarises latency samples (any unit; the result keeps it).
 *
 * @example
 * const { p50, p99 } = summarize(latenciesMs);
 */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
}

/**
 * The field-by-field median of several runs' numeric results.
 *
 * @example
 * medianOf([{ rate: 10 }, { rate: 12 }, { rate: 11 }]); // { rate: 11 }
 */
export function medianOf<T extends Record<string, number>>(runs: readonly T[]): T {
  const first = runs[0];
  if (!first) throw new Error("medianOf needs at least one run");
  return Object.fromEntries(Object.keys(first).map((key) => [key, median(runs.map((run) => run[key] as number))])) as T;
}
