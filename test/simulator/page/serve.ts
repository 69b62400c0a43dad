/**
 * @module The chat page of `npm start` (Node): a Messages-like conversation view served by the simulator.
 *
 * The page sends each message as a signed delivery through `POST /__sim/deliver` and renders what
 * the bot does from `GET /__sim/events`; this module only serves its files and its configuration.
 */
import { readFile } from "node:fs/promises";

/** A person the page can chat as. */
export interface DemoContact {
  name: string;
  address: string;
}

/** What the page needs to know: where deliveries go and who is in the demo. */
export interface ChatPageConfig {
  /** The Worker's webhook route, e.g. `http://127.0.0.1:8787/api/imessage/webhook`. */
  webhookUrl: string;
  /** The secret the Worker verifies deliveries with. */
  webhookSecret: string;
  /** The bot's user name (`@bot` mentions it in the group). */
  botName: string;
  contacts: DemoContact[];
  /** The demo group's chat GUID. */
  groupGuid: string;
  /**
   * The Worker's directory when it is not this repository's demo (`npm start -- --worker <dir>`):
   * the page then describes no behaviour of the demo bot.
   */
  ownWorker?: string;
  /** The Worker's local state was kept from an earlier run: it may already be subscribed to the group. */
  stateKept?: boolean;
}

/**
 * The demo DMs. Dana and Erin are the senders of `test/fixtures/webhooks/*.json`, so deliveries sent
 * by hand with `test/fixtures/sign.mjs` land in conversations with a name.
 */
export const DEMO_CONTACTS: DemoContact[] = [
  { name: "Alice", address: "+15551230001" },
  { name: "Bob", address: "+15551230002" },
  { name: "Carol", address: "carol@example.com" },
  { name: "Dana", address: "+15551234567" },
  { name: "Erin", address: "friend@example.com" },
];

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/chat/chat.js": { file: "chat.js", type: "text/javascript; charset=utf-8" },
  "/chat/compose.js": { file: "compose.js", type: "text/javascript; charset=utf-8" },
  "/chat/emoji.js": { file: "emoji.js", type: "text/javascript; charset=utf-8" },
  "/chat/hints.js": { file: "hints.js", type: "text/javascript; charset=utf-8" },
  "/chat/typing.js": { file: "typing.js", type: "text/javascript; charset=utf-8" },
  "/chat/chat.css": { file: "chat.css", type: "text/css; charset=utf-8" },
  "/chat/favicon.svg": { file: "favicon.svg", type: "image/svg+xml" },
  // Browsers ask for it before reading the page's <link rel="icon">; Chromium renders SVG here too.
  "/favicon.ico": { file: "favicon.svg", type: "image/svg+xml" },
};

/**
 * The simulator's `pages` handler for the chat page: `/`, its script, style and icon, and `/chat/config.json`.
 *
 * @example
 * const sim = await startSimulator({ pages: chatPage({ webhookUrl, webhookSecret: "whsec_demo", botName: "bot", contacts: DEMO_CONTACTS, groupGuid: DEMO_GROUP_GUID }) });
 */
export function chatPage(config: ChatPageConfig): (request: Request) => Promise<Response | undefined> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/chat/config.json") return Response.json(config, { headers: { "cache-control": "no-store" } });
    const entry = FILES[path];
    if (!entry) return undefined;
    const body = await readFile(new URL(`./${entry.file}`, import.meta.url), "utf8");
    return new Response(body, { headers: { "content-type": entry.type, "cache-control": "no-store" } });
  };
}
