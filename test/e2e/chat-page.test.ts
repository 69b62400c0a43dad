/**
 * @module e2e/chat-page
 * The product as `npm start` runs it — wrangler dev of the real Worker, the simulator, the chat page —
 * driven in headless Chromium: a DM with echo and typing, a ❤️ tapback, a poll vote, dedupe of a
 * resent delivery, a reload, the layout at 700 and 1280 px, a photo with a caption, a tapback on the
 * bot's reply; the simulated phone's echoes and read receipts (on, as in `npm start`); and the
 * command-line tools a user runs against it (`test/fixtures/sign.mjs`, `npm run smoke`).
 * Screenshots: `test-results/chat-page/`.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertPortFree, DEMO_SECRETS, freePort, PortInUseError, startStack, type Stack } from "../../scripts/stack.ts";
import { badge, contrastRatio, deliveryLabels, layoutProblems, screenshot, solidPng, typingTimeline } from "./page-checks.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
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
const BOB = "any;-;+15551230002";

let stack: Stack;
let persistTo: string;

beforeAll(async () => {
  persistTo = mkdtempSync(join(tmpdir(), "imessage-e2e-"));
  stack = await startStack({ workerPort: await freePort(), simulatorPort: await freePort(), persistTo, echoes: true });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

/** Runs a repository script with this Node; never throws, so a test can look at a failing run. */
async function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return await new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("the stack npm start runs", () => {
  test("serves the chat page and its icon, and a signed delivery reaches the bot", async () => {
    const page = await fetch(stack.pageUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/chat/chat.js");
    const icon = await fetch(`${stack.simulatorUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(await icon.text()).toContain("<svg");

    const since = (await (await fetch(`${stack.simulatorUrl}/__sim/events/log`)).json()) as { events: { seq: number }[] };
    const mark = since.events.at(-1)?.seq ?? 0;
    const delivered = await fetch(`${stack.simulatorUrl}/__sim/deliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: `${stack.workerUrl}/api/imessage/webhook`,
        secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
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

  test("a bot reply comes back as an echo (200 ignored) and a read receipt (200 accepted); the bot answers neither", async () => {
    const address = "+15550008888";
    const chatGuid = `any;-;${address}`;
    await fetch(`${stack.simulatorUrl}/__sim/deliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: `${stack.workerUrl}/api/imessage/webhook`,
        secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
        envelope: { event: "messages", message: { id: `e2e-${crypto.randomUUID()}`, sender: { id: address }, space: { id: chatGuid }, content: { type: "text", text: "read me" } } },
      }),
    });
    type Follow = { status: number; answer?: string; direction?: string; type?: string; id?: string; target?: string };
    const follows = async (): Promise<Follow[]> => {
      const { deliveries } = (await (await fetch(`${stack.simulatorUrl}/__sim/deliveries`)).json()) as { deliveries: { chatGuid?: string; status: number; body: string; envelope: string }[] };
      return deliveries
        .filter((d) => d.chatGuid === chatGuid)
        .map((d) => {
          const { message } = JSON.parse(d.envelope) as { message: { id: string; direction?: string; content: { type: string; target?: { id: string } } } };
          const answer = (JSON.parse(d.body || "{}") as { status?: string }).status;
          return { status: d.status, answer, direction: message.direction, type: message.content.type, id: message.id, target: message.content.target?.id };
        });
    };
    await expect.poll(async () => (await follows()).length, { timeout: 15_000 }).toBe(3);
    const [typed, echo, read] = await follows();
    expect(typed).toMatchObject({ status: 200, answer: "accepted" });
    expect(echo).toMatchObject({ status: 200, answer: "ignored", direction: "outbound", type: "text" });
    expect(read).toMatchObject({ status: 200, answer: "accepted", type: "read", target: echo?.id });
    // Give a wrongly routed receipt time to be answered: still one reply, the echo of "read me".
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sends = (await (await fetch(`${stack.simulatorUrl}/__sim/sends?only=delivered&chatPrefix=${encodeURIComponent(chatGuid)}`)).json()) as {
      delivered: { guid: string; text?: string }[];
    };
    expect(sends.delivered.map((d) => [d.guid, d.text])).toEqual([[echo?.id, "You said: read me"]]);
    expect(await follows()).toHaveLength(3);
  });

  test("a port in use fails with a message naming the variable to change", async () => {
    const taken = new URL(stack.workerUrl).port;
    await expect(assertPortFree(Number(taken), "the Worker (wrangler dev)", "WORKER_PORT")).rejects.toThrow(PortInUseError);
    await expect(assertPortFree(Number(taken), "the Worker (wrangler dev)", "WORKER_PORT")).rejects.toThrow(/WORKER_PORT=<port>/);
  });

  test("npm run smoke passes against the Worker with its secrets and fails with a wrong one", async () => {
    const good = await run("scripts/smoke.mjs", [stack.workerUrl, "--secret", DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET, "--cron-secret", DEMO_SECRETS.CRON_SECRET]);
    expect(good.stdout).toMatch(/^ok {3}signed delivery is accepted: 200 \{"status":"(accepted|ignored)"/m);
    expect(good.stdout).toMatch(/^ok {3}GET \/api\/imessage\/gateway/m);
    expect(good.stdout).toContain("Smoke test passed");
    expect(good.code).toBe(0);

    const bad = await run("scripts/smoke.mjs", [stack.workerUrl, "--secret", "whsec_not_the_one"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL signed delivery is accepted: 401/m);
    expect(bad.stdout).toContain("wrangler secret put IMESSAGE_WEBHOOK_SECRET");
  });
});

describe.skipIf(SKIP_BROWSER)("the chat page in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  const failedRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium), point CHROMIUM_PATH at another build, or set E2E_SKIP_BROWSER=1 to skip the browser test`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("response", (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
    });
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

  /** Verdicts of the deliveries of messages typed on the page (not the phone's echoes and read receipts). */
  async function verdicts(): Promise<string[]> {
    return await page.locator('#deliveries li[data-kind="message"] .verdict').allTextContents();
  }

  test("a DM: echo with typing dots seen ≥ 500 ms but the reply not held, a readable tapback, a vote answered by name, a resend seen as duplicate", async () => {
    await page.locator(`#conversation-list li[data-guid="${BOB}"]`).click();
    await expect.poll(() => page.locator("#chat-title").textContent()).toBe("Bob");

    // The bot replies 20-40 ms after its typing call: the page keeps the dots up, not the reply.
    const typing = await typingTimeline(page, () => say("hello from chromium"), "You said: hello from chromium");
    expect(typing.typingGone - typing.typingShown).toBeGreaterThanOrEqual(500);
    expect(typing.typingGone - typing.typingShown).toBeLessThan(3000);
    expect(typing.replyShown).toBeLessThan(typing.typingGone);
    expect(typing.replyShown - typing.replyEvent).toBeLessThan(250);
    await page.locator('#activity li[data-type="typing"]').first().waitFor();
    expect(await verdicts()).toContain("accepted");
    await screenshot(page, "dm-echo-1280");

    await say("thanks!");
    const tapback = page.locator(".bubble.me", { hasText: "thanks!" }).locator(".tapback");
    await tapback.waitFor();
    const colours = await badge(page, ".bubble.me .tapback");
    const colourEmoji = (await page.evaluate(() => document.documentElement.dataset.emoji)) === "colour";
    expect(colours.text).toBe(colourEmoji ? "❤️" : "Love");
    expect(contrastRatio(colours.color, colours.background)).toBeGreaterThan(4.5);
    expect(colours.width).toBeGreaterThan(12);
    await screenshot(page, "tapback");

    await say("poll");
    await page.locator('.poll button.option[data-title="Blue"]').click();
    await page.locator(".bubble.bot", { hasText: "Got your vote: Blue" }).waitFor();
    expect(await page.locator(".system", { hasText: "Bob voted Blue" }).count()).toBe(1);
    const botTexts = await page.locator(".bubble.bot").allTextContents();
    expect(botTexts.filter((text) => /\+1555|voted blue/.test(text))).toEqual([]);
    await screenshot(page, "vote");

    // Same order as the transcript: oldest first.
    const labels = await deliveryLabels(page);
    const mine = labels.map((label) => /Bob: (.*)$/.exec(label)?.[1]).filter(Boolean);
    expect(mine).toEqual(["“hello from chromium”", "“thanks!”", "“poll”", "vote “Blue”"]);

    // The vote's claim completes just after the reply is sent: until then a resend is "in-flight" (409).
    let verdict: string | undefined;
    for (let attempt = 0; attempt < 20 && verdict !== "duplicate"; attempt++) {
      const before = await page.locator('#deliveries li[data-kind="message"]').count();
      await page.locator("#resend").click();
      await expect.poll(() => page.locator('#deliveries li[data-kind="message"]').count(), { timeout: 10_000 }).toBe(before + 1);
      verdict = (await verdicts()).at(-1);
      if (verdict !== "duplicate") await page.waitForTimeout(500);
    }
    expect(verdict).toBe("duplicate");
    const newest = page.locator('#deliveries li[data-kind="message"]').last();
    expect(await newest.locator(".code").textContent()).toBe("200");
    expect(await newest.textContent()).toContain("(resent) Bob: vote “Blue”");
    expect(await page.locator(".bubble.bot", { hasText: "Got your vote" }).count()).toBe(1);
  });

  test("after a reload: the same transcript, deliveries with their text, and Resend enabled", async () => {
    // The phone reads the last reply a moment after it arrives: wait for that receipt, then compare.
    await page.locator('#deliveries li[data-kind="read"]', { hasText: "Bob read “Got your vote: Blue”" }).waitFor();
    const before = await deliveryLabels(page);
    await page.reload();
    await page.locator("#connection", { hasText: "live" }).waitFor();
    await page.locator(`#conversation-list li[data-guid="${BOB}"]`).click();
    await page.locator(".bubble.bot", { hasText: "Got your vote: Blue" }).waitFor();
    expect(await deliveryLabels(page)).toEqual(before);
    expect(await page.locator(".system", { hasText: "Bob voted Blue" }).count()).toBe(1);
    expect(await page.locator("#resend").isEnabled()).toBe(true);
    expect(await page.locator(".bubble.me", { hasText: "thanks!" }).locator(".tapback").count()).toBe(1);
    await screenshot(page, "reloaded");
  });

  test("the layout fits at 1280 and 700 px, and the page makes no failing request (favicon included)", async () => {
    const regions = ["#conversations", "#chat", "#panel", "#composer", "#send", "#resend", "#chat-title"];
    for (const width of [1280, 700]) {
      await page.setViewportSize({ width, height: 800 });
      expect(await layoutProblems(page, regions)).toEqual([]);
      await screenshot(page, `layout-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(failedRequests).toEqual([]);
  });

  test("without a colour-emoji font the page shows words: tapback, poll and hint", async () => {
    const textPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await textPage.goto(`${stack.pageUrl}?emoji=text`);
      await textPage.locator(`#conversation-list li[data-guid="${BOB}"]`).click();
      const tapback = await badge(textPage, ".bubble.me .tapback");
      expect(tapback.text).toBe("Love");
      expect(contrastRatio(tapback.color, tapback.background)).toBeGreaterThan(4.5);
      expect(await textPage.locator(".poll strong").first().textContent()).toBe("Poll: What is your favorite color?");
      expect(await textPage.locator("#chat-hint").textContent()).toContain("a Love tapback");
      await screenshot(textPage, "emoji-as-text");
    } finally {
      await textPage.close();
    }
  });

  test("deliveries sent with sign.mjs show on the page under the contact's name; --resend is a duplicate", async () => {
    const webhook = `${stack.workerUrl}/api/imessage/webhook`;
    const sent = await run("test/fixtures/sign.mjs", [
      "test/fixtures/webhooks/dm-text.json",
      "--secret",
      DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
      "--send",
      webhook,
      "--resend",
      "--simulator",
      stack.simulatorUrl,
    ]);
    expect(sent.stdout).toMatch(/^200 \{"status":"accepted"/m);
    expect(sent.stdout).toMatch(/^resent: 200 \{"status":"duplicate"/m);
    expect(sent.code).toBe(0);

    await page.locator('#conversation-list li[data-guid="any;-;+15551234567"]', { hasText: "Dana" }).click();
    await page.locator(".bubble.bot", { hasText: "You said: hey bot, what's up?" }).waitFor();
    // sign.mjs waits out 409 in-flight answers (the first copy's handlers still running) before the duplicate.
    const dana = (await deliveryLabels(page)).filter((label) => label.includes("Dana:") && !label.startsWith("in-flight"));
    expect(dana).toEqual(["accepted Dana: “hey bot, what's up?”", "duplicate (resent) Dana: “hey bot, what's up?”"]);

    const wrong = await run("test/fixtures/sign.mjs", ["test/fixtures/webhooks/dm-text.json", "--secret", "whsec_wrong", "--send", webhook, "--direct"]);
    expect(wrong.stdout).toMatch(/^401 /m);
    expect(wrong.code).toBe(1);
  });

  test("the demo group: a mention starts the conversation", async () => {
    await page.locator('#conversation-list li[data-guid="any;+;chat914325730198374"]').click();
    await say("@bot hi everyone");
    await page.locator(".bubble.bot", { hasText: "You said: @bot hi everyone" }).waitFor();
    await screenshot(page, "group");
  });

  test("a photo with a caption: one group delivery, the photo in the transcript, one answer; then a tapback on it", async () => {
    const carol = "any;-;carol@example.com";
    await page.locator(`#conversation-list li[data-guid="${carol}"]`).click();
    await page.locator("#attach-input").setInputFiles({ name: "sunset.png", mimeType: "image/png", buffer: solidPng(48, 32, [240, 120, 40]) });
    await page.locator("#attachment-preview").waitFor();
    await say("dusk");
    const reply = page.locator(".bubble.bot", { hasText: 'Got your file: sunset.png — "dusk"' });
    await reply.waitFor();
    const mine = page.locator(".bubble.me", { hasText: "dusk" });
    expect(await mine.locator("img.photo").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(48);
    expect(await page.locator("#attachment-preview").isHidden()).toBe(true);
    // The typed message, then the phone's echo and read receipt of the reply (listed, not in the transcript).
    await page.locator('#deliveries li[data-kind="read"]', { hasText: "Carol read “Got your file" }).waitFor();
    // Listed as their answers come back: the reply (and so its echo) can beat the typed message's 200
    // back to the page when the ledger runs the handler at once, so the order is not asserted.
    const labels = (await deliveryLabels(page)).filter((label) => label.includes("Carol") || label.includes("Got your file"));
    expect([...labels].sort()).toEqual(
      [
        "accepted Carol: “dusk” + 📎 sunset.png",
        'ignored echo of the bot\'s “Got your file: sunset.png — "dusk"”',
        'accepted Carol read “Got your file: sunset.png — "dusk"”',
      ].sort(),
    );
    const { deliveries } = (await (await fetch(`${stack.simulatorUrl}/__sim/deliveries`)).json()) as { deliveries: { chatGuid?: string; envelope: string }[] };
    const sent = JSON.parse(deliveries.find((d) => d.chatGuid === carol)?.envelope ?? "{}") as { message: { id: string; content: unknown } };
    expect(sent.message.content).toMatchObject({
      type: "group",
      items: [
        { id: `p:0/${sent.message.id}`, content: { type: "text", text: "dusk" } },
        { id: `p:1/${sent.message.id}`, content: { type: "attachment", name: "sunset.png", mimeType: "image/png" } },
      ],
    });
    expect(await page.locator(".bubble.bot").allTextContents()).toEqual(['Got your file: sunset.png — "dusk"']);
    await screenshot(page, "photo-caption");

    await reply.click();
    await page.locator('.tapback-menu button[data-emoji="👍"]').click();
    await page.locator(".bubble.bot", { hasText: "Thanks for the 👍" }).waitFor();
    const colourEmoji = (await page.evaluate(() => document.documentElement.dataset.emoji)) === "colour";
    expect(await reply.locator(".tapback").textContent()).toBe(colourEmoji ? "👍" : "Like");
    expect(await page.locator(".tapback-menu").count()).toBe(0);
    expect(await page.locator(".bubble.me").count()).toBe(1);
    await screenshot(page, "photo-tapback");

    // A photo alone is a plain attachment content.
    await page.locator("#attach-input").setInputFiles({ name: "plain.png", mimeType: "image/png", buffer: solidPng(8, 8, [20, 90, 200]) });
    await page.locator("#send").click();
    await page.locator(".bubble.bot", { hasText: /^Got your file: plain\.png$/ }).waitFor();
    // The simulator records the delivery when the Worker's 200 is back, which may come after the reply shows.
    await expect
      .poll(
        async () => {
          const all = (await (await fetch(`${stack.simulatorUrl}/__sim/deliveries`)).json()) as { deliveries: { chatGuid?: string; envelope: string }[] };
          const contents = all.deliveries.filter((d) => d.chatGuid === carol).map((d) => JSON.parse(d.envelope).message.content);
          return contents.find((c) => c.name === "plain.png");
        },
        { timeout: 10_000, interval: 100 },
      )
      .toMatchObject({ type: "attachment", mimeType: "image/png", size: expect.any(Number) });
  });
});
