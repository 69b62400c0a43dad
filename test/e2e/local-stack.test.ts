/**
 * @module e2e/local-stack
 * What a second `npm start` finds: wrangler dev keeps the Worker's state between runs (the bot still
 * answers an unmentioned message in a group it joined), `fresh` (`npm start -- --fresh`) starts
 * without it, and the chat page says which; `test/fixtures/sign.mjs` follows the stack's ports and
 * signs with the demo's secrets by default; the page's hints follow the Worker it drives (Chromium).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_SECRETS, freePort, startStack, type Stack } from "../../scripts/stack.ts";
import { chatPage, DEMO_CONTACTS } from "../simulator/page/serve.ts";
import { startSimulator } from "../simulator/server.ts";
import { DEMO_GROUP_GUID } from "../simulator/world.ts";
// @ts-expect-error plain JavaScript without types (runs on any Node, with or without npm ci)
import { localStack } from "../fixtures/sign.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SKIP_BROWSER = process.env.E2E_SKIP_BROWSER === "1";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imessage-local-stack-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(options: { fresh?: boolean; stackFile?: string } = {}): Promise<Stack> {
  return await startStack({ workerPort: await freePort(), simulatorPort: await freePort(), persistTo: join(dir, "state"), ...options });
}

/** Sends `text` from Alice in the demo group and resolves with every text the bot sent there until `until` arrives. */
async function inGroup(stack: Stack, texts: string[], until: string): Promise<string[]> {
  for (const text of texts) {
    const space = { id: DEMO_GROUP_GUID, platform: "imessage", type: "group", phone: "shared" };
    const message = { id: `e2e-${crypto.randomUUID()}`, platform: "imessage", sender: { id: DEMO_CONTACTS[0]?.address }, space, content: { type: "text", text } };
    const response = await fetch(`${stack.simulatorUrl}/__sim/deliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: `${stack.workerUrl}/api/imessage/webhook`, secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET, envelope: { event: "messages", space, message } }),
    });
    expect(((await response.json()) as { status: number }).status).toBe(200);
  }
  const sent = async (): Promise<string[]> => {
    const log = (await (await fetch(`${stack.simulatorUrl}/__sim/events/log`)).json()) as { events: { type: string; chatGuid?: string; message?: { content?: { text?: string } } }[] };
    return log.events.filter((e) => e.type === "message.sent" && e.chatGuid === DEMO_GROUP_GUID).map((e) => e.message?.content?.text ?? "");
  };
  await expect.poll(sent, { timeout: 20_000 }).toContain(until);
  return await sent();
}

async function pageConfig(stack: Stack): Promise<{ stateKept?: boolean; ownWorker?: string }> {
  return (await (await fetch(`${stack.simulatorUrl}/chat/config.json`)).json()) as { stateKept?: boolean; ownWorker?: string };
}

function sign(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const { IMESSAGE_WEBHOOK_SECRET: _, SIMULATOR_PORT: __, SIMULATOR_URL: ___, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, "test/fixtures/sign.mjs"), ...args], { cwd: ROOT, timeout: 60_000, env: { ...rest, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("state between runs", () => {
  test("a second run keeps the bot's group subscription and says so; --fresh starts without it", async () => {
    const first = await start();
    try {
      expect(first.stateKept).toBe(false);
      expect((await pageConfig(first)).stateKept).toBe(false);
      await inGroup(first, ["@bot hi"], "You said: @bot hi");
    } finally {
      await first.stop();
    }

    const stackFile = join(dir, "npm-start.json");
    const second = await start({ stackFile });
    try {
      expect(second.stateKept).toBe(true);
      expect((await pageConfig(second)).stateKept).toBe(true);
      // No mention: the subscription from the first run answers it.
      expect(await inGroup(second, ["no mention"], "You said: no mention")).toEqual(["You said: no mention"]);

      // sign.mjs finds the running stack (the file it wrote, or the ports' variables) and its secrets.
      expect(localStack({}, stackFile)).toMatchObject({ workerUrl: second.workerUrl, simulatorUrl: second.simulatorUrl });
      const env = { WORKER_PORT: new URL(second.workerUrl).port, SIMULATOR_PORT: new URL(second.simulatorUrl).port };
      const sent = await sign(["test/fixtures/webhooks/dm-text.json", "--send", "--resend"], env);
      expect(sent.stdout).toMatch(/^200 \{"status":"accepted"/m);
      expect(sent.stdout).toMatch(/^resent: 200 \{"status":"duplicate"/m);
      expect(sent.stderr).toContain(`through the simulator at ${second.simulatorUrl}`);
      expect(sent.code).toBe(0);
    } finally {
      await second.stop();
    }
    expect(existsSync(stackFile)).toBe(false);

    const fresh = await start({ fresh: true });
    try {
      expect(fresh.stateKept).toBe(false);
      expect((await pageConfig(fresh)).stateKept).toBe(false);
      // One conversation is handled in order: once the mention is answered, the message before it was handled, unanswered.
      expect(await inGroup(fresh, ["still there?", "@bot back"], "You said: @bot back")).toEqual(["You said: @bot back"]);
    } finally {
      await fresh.stop();
    }
    expect(readdirSync(join(dir, "state")).length).toBeGreaterThan(0);
  });
});

describe.skipIf(SKIP_BROWSER)("the page's hints in headless Chromium", () => {
  test("they follow the Worker and its kept state: your own Worker gets no demo-bot hints", async () => {
    const base = { webhookUrl: "http://127.0.0.1:9/api/imessage/webhook", webhookSecret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET, contacts: DEMO_CONTACTS, groupGuid: DEMO_GROUP_GUID };
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
    const hints = async (config: Parameters<typeof chatPage>[0]): Promise<{ dm: string; group: string; subtitle: string }> => {
      const sim = await startSimulator({ port: 0, pages: chatPage(config) });
      const page = await browser.newPage();
      try {
        await page.goto(`${sim.url}/`);
        const dm = (await page.locator("#chat-hint").textContent()) ?? "";
        await page.locator(`#conversation-list li[data-guid="${DEMO_GROUP_GUID}"]`).click();
        const subtitle = (await page.locator(`#conversation-list li[data-guid="${DEMO_GROUP_GUID}"] small`).textContent()) ?? "";
        return { dm, group: (await page.locator("#chat-hint").textContent()) ?? "", subtitle };
      } finally {
        await page.close();
        await sim.close();
      }
    };
    try {
      const demo = await hints({ ...base, botName: "bot", stateKept: false });
      expect(demo.dm).toContain('"poll"');
      expect(demo.group).toBe('Say "@bot hi" to start: the bot subscribes to the group and then answers every message.');
      expect(demo.subtitle).toBe("mention @bot to start");

      const kept = await hints({ ...base, botName: "bot", stateKept: true });
      expect(kept.group).toContain("npm start -- --fresh");
      expect(kept.group).toContain("if it joined this group then, it already answers without a mention");
      expect(kept.subtitle).toBe("mention @bot, or just talk if it joined before");

      const own = await hints({ ...base, botName: "mybot", ownWorker: "examples/worker", stateKept: false });
      for (const hint of [own.dm, own.group]) expect(hint).not.toMatch(/poll|thanks|hello|@bot\b/);
      expect(own.dm).toContain("examples/worker");
      expect(own.group).toContain("@mybot");
    } finally {
      await browser.close();
    }
  });
});
