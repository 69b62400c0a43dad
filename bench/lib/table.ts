/**
 * @module bench/lib/table
 * The bench's one markdown table: each figure of ours beside its reference (the reference adapter or
 * the calibration Worker), their ratio, the target and whether it is met (`targets.ts`), then
 * the plan-fit lines written from the figures.
 */
import { PRICES_READ_ON } from "./prices.ts";
import type { BenchResults } from "./results.ts";
import { planFit, TARGETS } from "./targets.ts";

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

/**
 * Renders the results as one markdown table, the plan-fit lines and a line on how they were measured.
 *
 * @example
 * console.log(renderTable(results));
 */
export function renderTable(results: BenchResults): string {
  const rows: Row[] = [];
  const p = results.inProcess;
  if (p) {
    rows.push(
      ["In-process p50 per delivery (µs)", fixed(p.ours.p50Us), fixed(p.reference.p50Us), ratio(p.ratio.p50), `≤ ${TARGETS.inProcessP50Ratio.toFixed(1)}×`, check(p.ratio.p50 <= TARGETS.inProcessP50Ratio)],
      ["In-process p90 (µs)", fixed(p.ours.p90Us), fixed(p.reference.p90Us), ratio(p.ratio.p90), "", ""],
      ["In-process p99 (µs)", fixed(p.ours.p99Us), fixed(p.reference.p99Us), ratio(p.ratio.p99), "", ""],
      ["In-process deliveries/s (sequential)", fixed(p.ours.perSecond), fixed(p.reference.perSecond), ratio(p.ratio.perSecond), "", ""],
    );
  }
  for (const [label, mix] of [["unique", results.load?.unique], ["30 % duplicates", results.load?.duplicates30]] as const) {
    if (!mix) continue;
    const missing = mix.unhandledRuns > 0 ? ` (${mix.unhandledRuns} run(s) with replies missing)` : "";
    rows.push(
      [`wrangler dev, ${label}: deliveries/s${missing}`, fixed(mix.ours.perSecond, 1), fixed(mix.calibration.perSecond, 1), ratio(mix.ratio.perSecond), `≥ ${TARGETS.loadThroughputRatio}×`, check(mix.ratio.perSecond >= TARGETS.loadThroughputRatio)],
      [`wrangler dev, ${label}: ack p50 (ms)`, fixed(mix.ours.ackP50Ms, 1), fixed(mix.calibration.ackP50Ms, 1), ratio(mix.ratio.ackP50), "", ""],
      [`wrangler dev, ${label}: ack p99 (ms)`, fixed(mix.ours.ackP99Ms, 1), fixed(mix.calibration.ackP99Ms, 1), ratio(mix.ratio.ackP99), `≤ ${TARGETS.loadAckP99Ratio}×`, check(mix.ratio.ackP99 <= TARGETS.loadAckP99Ratio)],
    );
  }
  const unique = results.load?.unique;
  if (unique) {
    rows.push([
      "workerd CPU per delivery (ms, /proc ticks of wrangler dev's workerd, both Workers until every reply was sent)",
      fixed(unique.ours.cpuMsPerDelivery, 1),
      fixed(unique.calibration.cpuMsPerDelivery, 1),
      ratio(unique.ratio.cpuMsPerDelivery),
      `≤ ${TARGETS.workerdCpuRatio}×`,
      check(unique.ratio.cpuMsPerDelivery <= TARGETS.workerdCpuRatio),
    ]);
  }
  const o = results.operations;
  if (o) {
    const by = (record: Record<string, number>) =>
      Object.entries(record)
        .map(([name, n]) => `${name} ${fixed(n, 1)}`)
        .join(", ");
    rows.push(
      ["SQLite rows written, first message of a new conversation", fixed(o.firstOfConversation.sqlRowsWritten, 1), "", "", `≤ ${TARGETS.rowsWrittenFirst}`, check(o.firstOfConversation.sqlRowsWritten <= TARGETS.rowsWrittenFirst)],
      ["SQLite rows written, later message", fixed(o.unique.sqlRowsWritten, 1), "", "", `≤ ${TARGETS.rowsWrittenLater}`, check(o.unique.sqlRowsWritten <= TARGETS.rowsWrittenLater)],
      ["SQLite rows written, exact duplicate", fixed(o.duplicate.sqlRowsWritten, 1), "", "", `${TARGETS.rowsWrittenDuplicate}`, check(o.duplicate.sqlRowsWritten <= TARGETS.rowsWrittenDuplicate)],
      ["SQLite rows read per later message", fixed(o.unique.sqlRowsRead, 1), "", "", "", ""],
      ["Durable Object requests per later message", `${fixed(o.unique.durableObjectRequests, 1)} (${by(o.unique.byBinding)})`, "1", "", "", ""],
      ["KV reads / writes per later message", `${fixed(o.unique.kvReads, 1)} / ${fixed(o.unique.kvWrites, 1)}`, "0 / 1", "", "", ""],
      ["Outbound HTTP calls per later message (demo bot: typing + reply)", fixed(o.unique.outboundHttp, 1), "1", "", "", ""],
      [
        "Per duplicate: DO requests + KV reads; KV writes",
        `${fixed(o.duplicate.durableObjectRequests + o.duplicate.kvReads, 1)}; ${fixed(o.duplicate.kvWrites, 1)}`,
        "1; 0",
        "",
        "",
        "",
      ],
      [
        "First message of a new conversation: DO requests; outbound HTTP",
        `${fixed(o.firstOfConversation.durableObjectRequests, 1)} (${by(o.firstOfConversation.byBinding)}); ${fixed(o.firstOfConversation.outboundHttp, 1)}`,
        "",
        "",
        "",
        "",
      ],
    );
  }
  const sub = results.subrequests;
  rows.push([
    "Most subrequests in one invocation, burst of 100 deliveries",
    sub ? fixed(sub.maxPerInvocation) : "not measured",
    "",
    "",
    `≤ ${TARGETS.maxSubrequestsBurst100}`,
    check(sub && sub.maxPerInvocation <= TARGETS.maxSubrequestsBurst100),
  ]);
  if (results.cost) {
    rows.push(
      [
        `$ per million unique deliveries (Workers Paid list prices read ${PRICES_READ_ON}, CPU included)`,
        fixed(results.cost.usdPerMillionUnique, 2),
        "",
        "",
        `≤ ${TARGETS.usdPerMillionUnique.toFixed(2)}`,
        check(results.cost.usdPerMillionUnique <= TARGETS.usdPerMillionUnique),
      ],
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
    ...planFit(results).flatMap((line) => [line, ""]),
    `Measured ${results.measuredAt.slice(0, 10)} on ${m.cores} cores (${m.cpu}), Node ${m.node}, source: ${results.source}. ` +
      `Each figure is the median of ${st.runs} runs (ratios: the median of per-run ratios, runs alternating): in-process ${st.inProcessCount} signed DMs per run ` +
      `through \`bot.webhooks.imessage\` with \`chat\` 4.41.0, \`@chat-adapter/state-memory\` and a no-op \`onNewMention\`, reference \`@photon-ai/chat-adapter-imessage\` 3.2.0; ` +
      `load ${st.loadDeliveries} DMs per mix at ${st.concurrency} in flight against the calibration Worker in \`bench/calibration/\` (verify + parse + one Durable Object claim + one KV put, then the demo bot's outbound calls per unique delivery from the Durable Object — typing on, one \`sendText\` reply, typing off); ours is the demo bot without the gateway's opt-in spectrum-ts envelope stream (\`DEMO_STREAM_ENVELOPES=false\`, as the template); ` +
      `operations counted by wrapping the bindings (\`bench/counting/\`) over ${st.opsConversations} conversations per run. Generated by \`npm run bench\`; do not edit by hand.`,
  );
  return lines.join("\n");
}
