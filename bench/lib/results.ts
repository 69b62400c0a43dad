/**
 * @module bench/lib/results
 * The shape of `bench/results.json`: medians (and the ratios of paired runs) of every section, with
 * the raw runs beside them so a reader can judge the noise.
 */
import type { InProcessRun } from "../in-process.ts";
import type { LoadRun } from "../load.ts";
import type { OperationsRun, PerDelivery } from "../operations.ts";
import type { SizeAndStart } from "../size.ts";

/** Medians of a pair of in-process adapters and of their per-run ratios (ours ÷ reference). */
export interface InProcessResult {
  ours: { p50Us: number; p90Us: number; p99Us: number; perSecond: number };
  reference: { p50Us: number; p90Us: number; p99Us: number; perSecond: number };
  ratio: { p50: number; p90: number; p99: number; perSecond: number };
  runs: InProcessRun[];
}

/** Medians of one mix on both Workers, and of the per-run ratios (ours ÷ calibration). */
export interface LoadMixResult {
  ours: { perSecond: number; ackP50Ms: number; ackP99Ms: number; cpuMsPerDelivery: number };
  calibration: { perSecond: number; ackP50Ms: number; ackP99Ms: number; cpuMsPerDelivery: number };
  ratio: { perSecond: number; ackP50: number; ackP99: number; cpuMsPerDelivery: number };
  /** Runs in which either Worker did not send every reply within 2 minutes. */
  unhandledRuns: number;
  runs: { ours: LoadRun; calibration: LoadRun }[];
}

/** Everything one `npm run bench` measured. */
export interface BenchResults {
  measuredAt: string;
  /** `working tree` or the commit measured (`--ref`). */
  source: string;
  machine: { cores: number; cpu: string; node: string };
  settings: { runs: number; inProcessCount: number; loadDeliveries: number; concurrency: number; opsConversations: number };
  inProcess?: InProcessResult;
  load?: { unique: LoadMixResult; duplicates30: LoadMixResult };
  operations?: { firstOfConversation: PerDelivery; unique: PerDelivery; duplicate: PerDelivery; runs: OperationsRun[] };
  cost?: { usdPerMillionUnique: number; usdPerMillionDuplicates: number; pricesReadOn: string };
  /**
   * Most subrequests (outbound `fetch` calls) one invocation made during a burst of `burst` deliveries
   * sent at once, in one conversation and across conversations of one ledger (`bench/counting` counts per invocation).
   */
  subrequests?: { burst: number; maxPerInvocation: number; oneConversation?: number; acrossConversations?: number };
  size?: SizeAndStart;
}
