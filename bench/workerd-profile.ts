/**
 * @module bench/workerd-profile
 * A CPU profile of the Worker under `wrangler dev` (workerd's V8, through wrangler's inspector) while it
 * handles a load of signed unique DMs, written as a `.cpuprofile` for `bench/profile-summary.ts`:
 *
 *   npm exec -- node bench/workerd-profile.ts --out /tmp/workerd.cpuprofile [--count 300]
 *   npm exec -- node bench/profile-summary.ts /tmp/workerd.cpuprofile --top 25
 *
 * The demo bot runs as the bench measures it (`OURS_VARS`); `--calibration` profiles the calibration Worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startStack } from "../scripts/stack.ts";
import { loadDeliveries, runLoad, seedConversations, type LoadTarget } from "./load.ts";
import { OURS_VARS } from "./lib/deliveries.ts";
import { REPO_ROOT } from "./lib/source.ts";

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const out = option("out", join(tmpdir(), "workerd.cpuprofile"));
const count = Number(option("count", "300"));
const calibration = process.argv.includes("--calibration");
const inspectorPort = await freePort();
const persistTo = mkdtempSync(join(tmpdir(), "imessage-workerd-profile-"));
const stack = await startStack({
  workerPort: await freePort(),
  simulatorPort: await freePort(),
  persistTo,
  ...(calibration ? { config: "bench/calibration/wrangler.toml" } : { worker: REPO_ROOT, vars: OURS_VARS }),
  inspectorPort,
  readyTimeoutMs: 120_000,
});

/** One Chrome DevTools Protocol session on the Worker's V8. */
async function inspector(): Promise<(method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`);
  // The inspector proxy wants an allowed Origin (Node's WebSocket sends a user agent, so none is assumed).
  const socket = new WebSocket(url, { headers: { origin: "http://localhost" } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let id = 0;
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
  });
  return (method, params = {}) =>
    new Promise((resolve) => {
      id += 1;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
}

const target: LoadTarget = calibration
  ? { name: "calibration", stack, path: "/webhook", replies: true }
  : { name: "ours", stack, path: "/api/imessage/webhook", replies: true };
try {
  await seedConversations(stack);
  const send = await inspector();
  // Warm up (first requests compile code and start the Durable Objects), then profile the load.
  await runLoad(target, await loadDeliveries("warm", 40, 0), 8);
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  await send("Profiler.start");
  const run = await runLoad(target, await loadDeliveries("prof", count, 0), 32);
  const { profile } = (await send("Profiler.stop")) as { profile: unknown };
  writeFileSync(out, JSON.stringify(profile));
  console.log(`${run.perSecond.toFixed(1)} deliveries/s; profile written to ${out}`);
} finally {
  await stack.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
