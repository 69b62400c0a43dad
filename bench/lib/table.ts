/**
 * @module bench/lib/table
 * The bench's one markdown table: each figure of ours beside its reference (the reference adapter or
 * the calibration Worker), their ratio, the target and whether it is met.
 */
import { PRICES_READ_ON } from "./prices.ts";
import type { BenchResults } from "./results.ts";

type Row = [figure: string, ours: string, reference: string, ratio: string, target: string, met: string];

function fixed(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "—" : `${value.toFixed(2)}×`;
}

function check(ok: boolean | undefined): string {
  return ok === undefined ? "" : ok ? "yes" : "**no**";
}

/** The targets (issue 11), as numbers the rows are checked against. */
export const TARGETS = {
  inProcessP50Ratio: 0.5,
  loadThroughputRatio: 0.8,
  loadAckP99Ratio: 2,
  doRequestsPerUnique: 2,
  kvWritesPerUnique: 1,
  requestsPerDuplicate: 1,
  workerdCpuMs: 5,
} as const;

/**
 * Renders the results as one markdown table plus a line on how they were measured.
 *
 * @example
 * console.log(renderTable(results));
 */
export function renderTable(results: BenchResults): string {
  const rows: Row[] = [];
  const p = results.inProcess;
  if (p) {
    rows.push(
      ["In-process p50 per delivery (µs)", fixed(p.ours.p50Us), fixed(p.reference.p50Us), ratio(p.ratio.p50), `≤ ${TARGETS.inProcessP50Ratio}×`, check(p.ratio.p50 <= TARGETS.inProcessP50Ratio)],
      ["In-process p90 (µs)", fixed(p.ours.p90Us), fixed(p.reference.p90Us), ratio(p.ratio.p90), "", ""],
      ["In-process p99 (µs)", fixed(p.ours.p99Us), fixed(p.reference.p99Us), ratio(p.ratio.p99), "", ""],
      ["In-process deliveries/s (sequential)", fixed(p.ours.perSecond), fixed(p.reference.perSecond), ratio(p.ratio.perSecond), "", ""],
    );
  }
  for (const [label, mix] of [["unique", results.load?.unique], ["30 % duplicates", results.load?.duplicates30]] as const) {
    if (!mix) continue;
    rows.push(
      [`wrangler dev, ${label}: deliveries/s`, fixed(mix.ours.perSecond, 1), fixed(mix.calibration.perSecond, 1), ratio(mix.ratio.perSecond), `≥ ${TARGETS.loadThroughputRatio}×`, check(mix.ratio.perSecond >= TARGETS.loadThroughputRatio)],
      [`wrangler dev, ${label}: ack p50 (ms)`, fixed(mix.ours.ackP50Ms, 1), fixed(mix.calibration.ackP50Ms, 1), ratio(mix.ratio.ackP50), "", ""],
      [`wrangler dev, ${label}: ack p99 (ms)`, fixed(mix.ours.ackP99Ms, 1), fixed(mix.calibration.ackP99Ms, 1), ratio(mix.ratio.ackP99), `≤ ${TARGETS.loadAckP99Ratio}×`, check(mix.ratio.ackP99 <= TARGETS.loadAckP99Ratio)],
    );
  }
  const unique = results.load?.unique;
  if (unique) {
    rows.push([
      "workerd CPU per delivery (ms, /proc ticks of wrangler dev's workerd; ours with the demo bot's handlers, calibration without)",
      fixed(unique.ours.cpuMsPerDelivery, 1),
      fixed(unique.calibration.cpuMsPerDelivery, 1),
      ratio(unique.ratio.cpuMsPerDelivery),
      `well inside the Free plan's 10 ms (read as ≤ ${TARGETS.workerdCpuMs} ms)`,
      check(unique.ours.cpuMsPerDelivery <= TARGETS.workerdCpuMs),
    ]);
  }
  const o = results.operations;
  if (o) {
    const by = (record: Record<string, number>) =>
      Object.entries(record)
        .map(([name, n]) => `${name} ${fixed(n, 1)}`)
        .join(", ");
    rows.push(
      ["Durable Object requests per unique delivery", `${fixed(o.unique.durableObjectRequests, 1)} (${by(o.unique.byBinding)})`, "1", "", `≤ ${TARGETS.doRequestsPerUnique}`, check(o.unique.durableObjectRequests <= TARGETS.doRequestsPerUnique)],
      ["KV reads / writes per unique delivery", `${fixed(o.unique.kvReads, 1)} / ${fixed(o.unique.kvWrites, 1)}`, "0 / 1", "", `writes ≤ ${TARGETS.kvWritesPerUnique}`, check(o.unique.kvWrites <= TARGETS.kvWritesPerUnique)],
      ["SQLite rows read / written per unique delivery", `${fixed(o.unique.sqlRowsRead, 1)} / ${fixed(o.unique.sqlRowsWritten, 1)}`, "", "", "", ""],
      ["Outbound HTTP calls per unique delivery (demo bot: typing + reply)", fixed(o.unique.outboundHttp, 1), "", "", "", ""],
      [
        "Per duplicate: DO requests + KV reads; KV writes; rows read / written",
        `${fixed(o.duplicate.durableObjectRequests + o.duplicate.kvReads, 1)}; ${fixed(o.duplicate.kvWrites, 1)}; ${fixed(o.duplicate.sqlRowsRead, 1)} / ${fixed(o.duplicate.sqlRowsWritten, 1)}`,
        "1; 0",
        "",
        `≤ ${TARGETS.requestsPerDuplicate} read, no write`,
        check(o.duplicate.durableObjectRequests + o.duplicate.kvReads <= TARGETS.requestsPerDuplicate && o.duplicate.kvWrites === 0),
      ],
      [
        "First message of a new conversation: DO requests; rows written; outbound HTTP",
        `${fixed(o.firstOfConversation.durableObjectRequests, 1)} (${by(o.firstOfConversation.byBinding)}); ${fixed(o.firstOfConversation.sqlRowsWritten, 1)}; ${fixed(o.firstOfConversation.outboundHttp, 1)}`,
        "",
        "",
        "",
        "",
      ],
    );
  }
  if (results.cost) {
    rows.push(
      [`$ per million unique deliveries (Workers Paid list prices read ${PRICES_READ_ON}, CPU included)`, fixed(results.cost.usdPerMillionUnique, 2), "", "", "", ""],
      ["$ per million duplicates (CPU not included)", fixed(results.cost.usdPerMillionDuplicates, 2), "", "", "", ""],
    );
  }
  const s = results.size;
  if (s) {
    rows.push(
      ["Bundle, root Worker (KiB gzip)", fixed(s.rootGzipKiB), "", "", "", ""],
      ["Bundle, template examples/worker (KiB gzip)", fixed(s.templateGzipKiB), "", "", "", ""],
      ["Worker startup CPU, local profile (ms)", fixed(s.startupCpuMs), "", "", "", ""],
    );
  }
  const header: Row = ["Figure", "Ours", "Reference / calibration", "Ratio", "Target", "Met"];
  const lines = [header, ["---", "---:", "---:", "---:", "---", "---"] as unknown as Row, ...rows].map((row) => `| ${row.join(" | ")} |`);
  const m = results.machine;
  const st = results.settings;
  lines.push(
    "",
    `Measured ${results.measuredAt.slice(0, 10)} on ${m.cores} cores (${m.cpu}), Node ${m.node}, source: ${results.source}. ` +
      `Each figure is the median of ${st.runs} runs (ratios: the median of per-run ratios, runs alternating): in-process ${st.inProcessCount} signed DMs per run ` +
      `through \`bot.webhooks.imessage\` with \`chat\` 4.41.0, \`@chat-adapter/state-memory\` and a no-op \`onNewMention\`, reference \`@photon-ai/chat-adapter-imessage\` 3.2.0; ` +
      `load ${st.loadDeliveries} DMs per mix at ${st.concurrency} in flight against the calibration Worker in \`bench/calibration/\` (verify + parse + one Durable Object claim + one KV put); ` +
      `operations counted by wrapping the bindings (\`bench/counting/\`) over ${st.opsConversations} conversations per run. Generated by \`npm run bench\`; do not edit by hand.`,
  );
  return lines.join("\n");
}
