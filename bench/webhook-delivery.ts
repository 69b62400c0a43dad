/**
 * @module bench/webhook-delivery
 * Signed deliveries through the real Worker under `wrangler dev` (workerd, local KV and Durable Objects)
 * against the Spectrum simulator. Prints ack latency, throughput and workerd CPU time per delivery.
 *
 *   npx node bench/webhook-delivery.ts [--count 500]
 */
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_SECRETS, freePort, startStack } from "../scripts/stack.ts";
import { spectrumWebhookHeaders } from "../test/simulator/client.ts";
import { workerdCpuSeconds } from "./lib/proc.ts";

const count = Number(process.argv[process.argv.indexOf("--count") + 1] || 500);
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fixture = JSON.parse(readFileSync(new URL("../test/fixtures/webhooks/dm-text.json", import.meta.url), "utf8"));
const unknownEvent = readFileSync(new URL("../test/fixtures/webhooks/unknown-event.json", import.meta.url), "utf8");

async function deliver(url: string, body: string): Promise<number> {
  const headers = await spectrumWebhookHeaders({ secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET, body });
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`delivery answered ${response.status}`);
  return performance.now() - started;
}

async function waitForSends(simulatorUrl: string, since: number, expected: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${simulatorUrl}/__sim/requests?path=/v1/messages:sendText&since=${since}`);
    const { requests } = (await response.json()) as { requests: unknown[] };
    if (requests.length >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the bot did not answer every delivery");
}

async function run(label: string, url: string, simulatorUrl: string, bodies: string[], answered: boolean) {
  const mark = ((await (await fetch(`${simulatorUrl}/__sim/requests?path=none`)).json()) as { mark: number }).mark;
  const cpuBefore = workerdCpuSeconds();
  const started = performance.now();
  const latencies: number[] = [];
  for (const body of bodies) latencies.push(await deliver(url, body));
  if (answered) await waitForSends(simulatorUrl, mark, bodies.length);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = workerdCpuSeconds() - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    scenario: label,
    deliveries: bodies.length,
    "ack p50 ms": percentile(latencies, 50).toFixed(2),
    "ack p99 ms": percentile(latencies, 99).toFixed(2),
    "deliveries/s": (bodies.length / elapsed).toFixed(0),
    "workerd CPU ms/delivery": ((cpu * 1000) / bodies.length).toFixed(2),
  };
}

const persistTo = mkdtempSync(join(tmpdir(), "imessage-bench-"));
const stack = await startStack({ workerPort: await freePort(), simulatorPort: await freePort(), persistTo });
try {
  const url = `${stack.workerUrl}/api/imessage/webhook`;
  // Real traffic spreads over many conversations: each delivery comes from its own DM, which the
  // simulated server learns about before the clock starts.
  let next = 0;
  const fresh = () => {
    const body = structuredClone(fixture);
    const address = `+1555${String(next++).padStart(7, "0")}`;
    body.message.id = `bench-${crypto.randomUUID()}`;
    body.message.sender = { id: address };
    body.message.space = { ...body.message.space, id: `any;-;${address}` };
    body.space = { ...body.space, id: `any;-;${address}` };
    return JSON.stringify(body);
  };
  const seeded = async (bodies: string[]) => {
    for (const envelope of bodies) {
      await fetch(`${stack.simulatorUrl}/__sim/deliver`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: `${stack.simulatorUrl}/__sim/echo`, secret: "unused", envelope }),
      });
    }
    return bodies;
  };
  await run("warm-up", url, stack.simulatorUrl, await seeded(Array.from({ length: 30 }, fresh)), true);
  const rows = [
    await run("DM → echo bot → sendText (full path)", url, stack.simulatorUrl, await seeded(Array.from({ length: count }, fresh)), true),
    await run("unknown event (verify + parse + ack)", url, stack.simulatorUrl, Array.from({ length: count }, () => unknownEvent), false),
  ];
  console.table(rows);
  console.log(`workerd CPU from /proc (10 ms ticks), Node ${process.version}, ${count} sequential deliveries per scenario`);
} finally {
  await stack.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
