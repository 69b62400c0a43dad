/**
 * @module e2e/seed-snippet
 * The Chat SDK's own way of writing a bot, in a Worker outside the repository that installs the packed
 * package: a module-level `bot`, `createiMessageAdapter()` without options or `env`, the webhook routed
 * with `bot.webhooks.imessage(request, { waitUntil })`, and the Durable Object classes re-exported
 * as they are (`export { DeliveryLedger, … } from "chat-adapter-imessage/worker"`), never bound to the
 * bot. Under `wrangler dev`, a message is answered once; and a message whose handler is running when
 * wrangler and workerd are SIGKILLed is answered once after the restart, by the ledger's alarm in a
 * fresh isolate where nothing had initialized the bot (it wakes the Worker's fetch handler itself).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { DEMO_SECRETS } from "../../scripts/stack.ts";
import { startSimulator, type RunningSimulator } from "../simulator/server.ts";
import { simulatorClient, type SimulatorClient } from "../simulator/client.ts";
import { WorkerProcess } from "../reliability/worker-process.ts";
import { must, npmPack, TARBALL, tempProject, timed } from "./packed-package.ts";

const WORKER = `import { Chat } from "chat";
import { createDurableObjectState, createiMessageAdapter } from "chat-adapter-imessage";
import { env } from "cloudflare:workers";
export { ChatStateDO, DeliveryLedger, GatewayDO } from "chat-adapter-imessage/worker";

const bot = new Chat({
  userName: "mybot",
  adapters: { imessage: createiMessageAdapter() },
  state: createDurableObjectState(env.CHAT_STATE),
});

bot.onNewMention(async (thread, message) => {
  // "slow": the handler is still running when the test kills the Worker.
  if (message.text.includes("slow")) await new Promise((resolve) => setTimeout(resolve, 6_000));
  await thread.post("Hello from iMessage!");
});

export default {
  async fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/healthz") return new Response("ok");
    return await bot.webhooks.imessage(request, { waitUntil: (task) => ctx.waitUntil(task) });
  },
};
`;

const WRANGLER_TOML = `name = "seed-snippet"
main = "src/index.ts"
compatibility_date = "2026-11-09"
compatibility_flags = ["nodejs_compat"]

[[durable_objects.bindings]]
name = "DELIVERY_LEDGER"
class_name = "DeliveryLedger"
[[durable_objects.bindings]]
name = "GATEWAY"
class_name = "GatewayDO"
[[durable_objects.bindings]]
name = "CHAT_STATE"
class_name = "ChatStateDO"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["DeliveryLedger", "GatewayDO", "ChatStateDO"]
`;

let dir = "";
let persistTo = "";
let simulator: RunningSimulator | undefined;
let sim: SimulatorClient;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  dir = tempProject("imessage-seed-");
  persistTo = mkdtempSync(join(tmpdir(), "imessage-seed-state-"));
  await npmPack(dir);
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "seed-snippet", private: true, type: "module", dependencies: { chat: "4.41.0", "chat-adapter-imessage": `file:./${TARBALL}` } }, null, 2)}\n`,
  );
  await timed("seed snippet: npm install", () => must("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], dir));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "index.ts"), WORKER);
  writeFileSync(join(dir, "wrangler.toml"), WRANGLER_TOML);
  simulator = await startSimulator({ port: 0 });
  sim = simulatorClient(simulator.url);
  worker = new WorkerProcess({ simulatorUrl: simulator.url, persistTo, logFile: join(dir, "wrangler.log"), root: dir });
  await timed("seed snippet: wrangler dev", () => (worker as WorkerProcess).start());
}, 300_000);

afterAll(async () => {
  await worker?.kill("SIGKILL");
  await simulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

/** Delivers a DM from a fresh address through the simulator (signed with both header sets); its chat GUID. */
async function dm(text: string): Promise<string> {
  const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  const chatGuid = `any;-;${address}`;
  const result = await sim.deliver({
    url: (worker as WorkerProcess).webhookUrl,
    secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
    envelope: {
      event: "messages",
      message: {
        id: `seed-${crypto.randomUUID()}`,
        platform: "imessage",
        direction: "inbound",
        timestamp: new Date().toISOString(),
        sender: { id: address },
        space: { id: chatGuid, platform: "imessage", type: "dm", phone: "shared" },
        content: { type: "text", text },
      },
    } as never,
  });
  expect(result.status).toBe(200);
  return chatGuid;
}

/** The bot's replies in `chatGuid` the simulator has received. */
async function replies(chatGuid: string): Promise<number> {
  const sent = await sim.requests({ path: "/v1/messages:sendText" });
  return sent.filter((r) => (r.body as { chatGuid?: string }).chatGuid === chatGuid).length;
}

function log(): string {
  return (worker as WorkerProcess).tail(200);
}

test("a message to the seed's Worker is answered once, by the ledger (durable, not waitUntil)", { timeout: 60_000 }, async () => {
  const chat = await dm("hi");
  await expect.poll(() => replies(chat), { timeout: 20_000, interval: 100 }).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await replies(chat)).toBe(1);
  expect(log()).not.toMatch(/not crash-safe|Deliveries wait/);
});

test("SIGKILL while its handler runs, restart: the ledger wakes the Worker's bot and answers once", { timeout: 120_000 }, async () => {
  const chat = await dm("slow hello");
  // The handler sleeps 6 s before it replies: kill wrangler and workerd while it sleeps.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await (worker as WorkerProcess).kill("SIGKILL");
  expect(await replies(chat)).toBe(0);
  await (worker as WorkerProcess).start();
  // No request reaches the new isolate's bot: the ledger's watchdog alarm must find it by itself.
  await expect.poll(() => replies(chat), { timeout: 60_000, interval: 250 }).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await replies(chat), log()).toBe(1);
  expect(log()).not.toMatch(/Deliveries wait/);
});
