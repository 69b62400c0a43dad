/**
 * Local-bridge benchmark: a 10k-message Messages database, drained through the local adapter, then
 * live messages written one by one and timed from the database write to the Chat SDK handler.
 * Run: `npm exec -- node bench/local-bridge-poll.ts` (Node >= 22: runs TypeScript directly).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsoleLogger, type ChatInstance } from "chat";
import { createiMessageAdapter } from "../local-bridge/src/create.ts";
import { memoryWatermark } from "../local-bridge/src/watermark.ts";
import { ChatDbFixture } from "../local-bridge/test/fixtures/chat-db.ts";

const BACKLOG = 10_000;
const LIVE = 200;
const dir = mkdtempSync(join(tmpdir(), "local-bridge-bench-"));
const dbPath = join(dir, "chat.db");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fixture = new ChatDbFixture(dbPath);
const dm = fixture.dm("+15550009999");
let started = performance.now();
fixture.bulk(dm, "+15550009999", BACKLOG, (i) => `backlog message ${i}: half of these live only in attributedBody`);
const buildMs = performance.now() - started;

const writtenAt = new Map<string, number>();
const latencies: number[] = [];
let handled = 0;
const chat = {
  processMessage: async (_adapter: unknown, _threadId: string, message: { id: string }) => {
    handled++;
    const at = writtenAt.get(message.id);
    if (at !== undefined) latencies.push(performance.now() - at);
  },
  processReaction: () => {},
} as unknown as ChatInstance;

async function run(label: string, options: { watchWal: boolean; pollIntervalMs: number }) {
  const adapter = createiMessageAdapter({
    local: true,
    dbPath,
    env: {},
    logger: new ConsoleLogger("error"),
    watermark: memoryWatermark(),
    startAt: "beginning",
    autoStart: false,
    runOsascript: async () => ({ stdout: "", stderr: "" }),
    ...options,
  });
  await adapter.initialize(chat);
  handled = 0;
  started = performance.now();
  await adapter.watcher.poll();
  const drainMs = performance.now() - started;
  const drained = handled;
  const rssAfterDrain = process.memoryUsage().rss;

  latencies.length = 0;
  adapter.start();
  for (let i = 0; i < LIVE; i++) {
    const { guid } = fixture.message({ chat: dm, from: "+15550009999", text: `live ${i}`, attributedOnly: i % 2 === 0 });
    writtenAt.set(guid, performance.now());
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
  const deadline = Date.now() + options.pollIntervalMs * 3 + 2000;
  while (latencies.length < LIVE && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await adapter.disconnect();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    mode: label,
    "backlog msgs": drained,
    "drain ms": Math.round(drainMs),
    "msgs/s": Math.round((drained / drainMs) * 1000),
    "live seen": `${latencies.length}/${LIVE}`,
    "p50 ms": Number(percentile(sorted, 50).toFixed(1)),
    "p99 ms": Number(percentile(sorted, 99).toFixed(1)),
    "RSS MB": Math.round(rssAfterDrain / 1024 / 1024),
  };
}

const rows = [
  await run("WAL watch + 1000 ms poll", { watchWal: true, pollIntervalMs: 1000 }),
  await run("poll only, 250 ms", { watchWal: false, pollIntervalMs: 250 }),
];
fixture.close();
console.log(`Node ${process.version}; fixture of ${BACKLOG} messages built in ${Math.round(buildMs)} ms`);
console.table(rows);
console.log(`RSS at exit: ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`);
rmSync(dir, { recursive: true, force: true });
