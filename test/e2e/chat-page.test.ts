/**
 * @module e2e/chat-page
 * The product as `npm start` runs it — wrangler dev of the real Worker, the simulator, the chat page —
 * driven in headless Chromium: a DM with echo and typing, a ❤️ tapback, a poll vote, dedupe of a resent delivery.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertPortFree, freePort, PortInUseError, startStack, type Stack } from "../../scripts/stack.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SKIP_BROWSER = process.env.E2E_SKIP_BROWSER === "1";
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let stack: Stack;
let persistTo: string;

beforeAll(async () => {
  persistTo = mkdtempSync(join(tmpdir(), "imessage-e2e-"));
  stack = await startStack({ workerPort: await freePort(), simulatorPort: await freePort(), persistTo });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

describe("the stack npm start runs", () => {
  test("serves the chat page and a signed delivery reaches the bot", async () => {
    const page = await fetch(stack.pageUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/chat/chat.js");

    const since = (await (await fetch(`${stack.simulatorUrl}/__sim/events/log`)).json()) as { events: { seq: number }[] };
    const mark = since.events.at(-1)?.seq ?? 0;
    const delivered = await fetch(`${stack.simulatorUrl}/__sim/deliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: `${stack.workerUrl}/api/imessage/webhook`,
        secret: "whsec_demo",
        envelope: {
          event: "messages",
          message: {
            id: `e2e-${crypto.randomUUID()}`,
            platform: "imessage",
            sender: { id: "+15550009999" },
            space: { id: "any;-;+15550009999", platform: "imessage", type: "dm", phone: "shared" },
            content: { type: "text", text: "ping over http" },
          },
        },
      }),
    });
    const result = (await delivered.json()) as { status: number; body: string };
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ status: "accepted" });

    await expect
      .poll(
        async () => {
          const log = (await (await fetch(`${stack.simulatorUrl}/__sim/events/log?since=${mark}`)).json()) as {
            events: { type: string; message?: { content?: { text?: string } } }[];
          };
          return log.events.filter((e) => e.type === "message.sent").map((e) => e.message?.content?.text);
        },
        { timeout: 15_000 },
      )
      .toContain("You said: ping over http");
  });

  test("a port in use fails with a message naming the variable to change", async () => {
    const taken = new URL(stack.workerUrl).port;
    await expect(assertPortFree(Number(taken), "the Worker (wrangler dev)", "WORKER_PORT")).rejects.toThrow(PortInUseError);
    await expect(assertPortFree(Number(taken), "the Worker (wrangler dev)", "WORKER_PORT")).rejects.toThrow(/WORKER_PORT=<port>/);
  });
});

describe.skipIf(SKIP_BROWSER)("the chat page in headless Chromium", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium), point CHROMIUM_PATH at another build, or set E2E_SKIP_BROWSER=1 to skip the browser test`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(stack.pageUrl);
    await page.locator("#connection", { hasText: "live" }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function say(text: string): Promise<void> {
    await page.locator("#message-input").fill(text);
    await page.locator("#send").click();
  }

  async function verdicts(): Promise<string[]> {
    return await page.locator("#deliveries .verdict").allTextContents();
  }

  test("a DM: echo with typing, a tapback on thanks, a poll vote, and a resent delivery seen as duplicate", async () => {
    await page.locator('#conversation-list li[data-guid="any;-;+15551230002"]').click();
    await expect.poll(() => page.locator("#chat-title").textContent()).toBe("Bob");

    await say("hello from chromium");
    await page.locator(".bubble.bot", { hasText: "You said: hello from chromium" }).waitFor();
    await page.locator('#activity li[data-type="typing"]').first().waitFor();
    expect(await verdicts()).toContain("accepted");

    await say("thanks!");
    await page.locator(".bubble.me", { hasText: "thanks!" }).locator(".tapback", { hasText: "❤️" }).waitFor();

    await say("poll");
    await page.locator('.poll button.option[data-title="Blue"]').click();
    await page.locator(".bubble.bot", { hasText: "+15551230002 voted blue" }).waitFor();

    // The vote's claim completes just after the reply is sent: until then a resend is "in-flight" (409).
    let verdict: string | undefined;
    for (let attempt = 0; attempt < 20 && verdict !== "duplicate"; attempt++) {
      const before = await page.locator("#deliveries li").count();
      await page.locator("#resend").click();
      await expect.poll(() => page.locator("#deliveries li").count()).toBe(before + 1);
      verdict = (await verdicts())[0];
      if (verdict !== "duplicate") await page.waitForTimeout(500);
    }
    expect(verdict).toBe("duplicate");
    const newest = page.locator("#deliveries li").first();
    expect(await newest.locator(".code").textContent()).toBe("200");
    expect(await newest.textContent()).toContain("(resent)");
    expect(await page.locator(".bubble.bot", { hasText: "voted blue" }).count()).toBe(1);
  });

  test("the demo group: a mention starts the conversation", async () => {
    await page.locator('#conversation-list li[data-guid="any;+;chat914325730198374"]').click();
    await say("@bot hi everyone");
    await page.locator(".bubble.bot", { hasText: "You said: @bot hi everyone" }).waitFor();

    mkdirSync("test-results", { recursive: true });
    await page.locator('#conversation-list li[data-guid="any;-;+15551230002"]').click();
    await page.screenshot({ path: join("test-results", "chat-page.png") });
  });
});
