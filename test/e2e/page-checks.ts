/**
 * @module e2e/page-checks
 * What the chat page end-to-end test measures in the browser: computed colours, boxes against the
 * viewport, the typing indicator's timeline around a reply, and screenshots under `test-results/`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { Page } from "playwright-core";

/** Where the screenshots go (vitest runs from the repository root). */
export const SCREENSHOT_DIR = join("test-results", "chat-page");

/**
 * Saves a full-window screenshot as `test-results/chat-page/<state>.png` and returns its path.
 *
 * @example
 * await screenshot(page, "dm-1280");
 */
export async function screenshot(page: Page, state: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${state}.png`);
  await page.screenshot({ path });
  return path;
}

/** A CSS colour `rgb(r, g, b)` / `rgba(…)` as numbers 0–255 (alpha ignored). */
function channels(colour: string): [number, number, number] {
  const match = /rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/.exec(colour);
  if (!match) throw new Error(`not an rgb() colour: ${colour}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** WCAG contrast ratio of two CSS colours (1 = identical, 21 = black on white). */
export function contrastRatio(a: string, b: string): number {
  const luminance = (colour: string): number => {
    const [r, g, b] = channels(colour).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The computed text and background colours, text and size of the first element matching `selector`. */
export async function badge(page: Page, selector: string): Promise<{ color: string; background: string; text: string; width: number; height: number }> {
  return await page.locator(selector).first().evaluate((node) => {
    const style = getComputedStyle(node);
    const box = node.getBoundingClientRect();
    return { color: style.color, background: style.backgroundColor, text: node.textContent ?? "", width: box.width, height: box.height };
  });
}

/** Regions of the page that stick out of the window or have no size, with their boxes (empty when the layout fits). */
export async function layoutProblems(page: Page, selectors: string[]): Promise<string[]> {
  return await page.evaluate((wanted) => {
    const problems: string[] = [];
    const { innerWidth, innerHeight } = window;
    if (document.documentElement.scrollWidth > innerWidth) problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${innerWidth}`);
    for (const selector of wanted) {
      const node = document.querySelector(selector);
      if (!node) {
        problems.push(`${selector} missing`);
        continue;
      }
      const box = node.getBoundingClientRect();
      const where = `${selector} at x ${Math.round(box.left)}–${Math.round(box.right)}, y ${Math.round(box.top)}–${Math.round(box.bottom)} in ${innerWidth}×${innerHeight}`;
      if (box.width < 1 || box.height < 1) problems.push(`${where}: no size`);
      else if (box.left < -1 || box.right > innerWidth + 1 || box.top < -1 || box.bottom > innerHeight + 1) problems.push(`${where}: cut off`);
    }
    return problems;
  }, selectors);
}

/** When, in ms after `send` started, the typing dots appeared, the reply showed and the dots went (the page's clock). */
export interface TypingTimeline {
  typingShown: number;
  replyShown: number;
  typingGone: number;
  /** When the simulator's event stream (a second connection) brought the reply's `message.sent`. */
  replyEvent: number;
}

/**
 * Sends with `send` and records, with a MutationObserver on the transcript (it sees every render), when
 * the typing indicator appeared, when a bot bubble containing `text` showed and when the indicator went;
 * and, on a separate event stream, when the simulator announced that reply. Resolves once the dots are gone.
 */
export async function typingTimeline(page: Page, send: () => Promise<void>, text: string): Promise<TypingTimeline> {
  await page.evaluate((wanted) => {
    const start = performance.now();
    const times: Partial<Record<keyof TypingTimeline, number>> = {};
    (window as unknown as { __typing: typeof times }).__typing = times;
    const transcript = document.getElementById("transcript");
    if (!transcript) throw new Error("no #transcript");
    const look = (): void => {
      const now = performance.now() - start;
      const typing = transcript.querySelector(".typing-indicator") !== null;
      if (typing) times.typingShown ??= now;
      if (times.replyShown === undefined && [...transcript.querySelectorAll(".bubble.bot")].some((node) => node.textContent?.includes(wanted))) times.replyShown = now;
      if (!typing && times.typingShown !== undefined && times.replyShown !== undefined) {
        times.typingGone = now;
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(look);
    observer.observe(transcript, { childList: true, subtree: true });
    const events = new EventSource(`/__sim/events?since=${Number.MAX_SAFE_INTEGER}`);
    events.addEventListener("message.sent", (message) => {
      if (String(JSON.parse(message.data).message?.content?.text).includes(wanted)) {
        times.replyEvent ??= performance.now() - start;
        events.close();
      }
    });
  }, text);
  await send();
  await page.waitForFunction(() => (window as unknown as { __typing: { typingGone?: number; replyEvent?: number } }).__typing.typingGone !== undefined, undefined, { timeout: 20_000 });
  await page.waitForFunction(() => (window as unknown as { __typing: { replyEvent?: number } }).__typing.replyEvent !== undefined, undefined, { timeout: 5_000 });
  return await page.evaluate(() => (window as unknown as { __typing: TypingTimeline }).__typing);
}

/** The delivery rows' labels, top to bottom. */
export async function deliveryLabels(page: Page): Promise<string[]> {
  return (await page.locator("#deliveries li > span:nth-child(2)").allTextContents()).map((text) => text.trim());
}

/** A real PNG of one colour (`width`×`height`), for sending a photo from the page. */
export function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}
