#!/usr/bin/env node
/**
 * @module scripts/smoke
 * `npm run smoke -- https://<worker> [--secret SECRET] [--cron-secret SECRET]`: checks a deployed
 * Worker without an iPhone, right after `wrangler deploy`.
 *
 * 1. `GET /healthz` answers 200.
 * 2. An unsigned delivery is refused with 400 (the webhook route is there and checks signatures;
 *    500 means `IMESSAGE_WEBHOOK_SECRET` is not set).
 * 3. A delivery signed with the secret is accepted: 200 (`accepted`, or `ignored` by older
 *    Workers). It is an outbound echo (a message the bot itself sent, new id each run), so it passes
 *    signature checking and the ledger, but the bot skips it and nothing is sent to anyone. 401
 *    means the secret differs from the Worker's.
 * 4. With the cron secret: `GET /api/imessage/gateway` (the gateway Durable Object answers) and
 *    `GET /api/imessage/dead-letters` (deliveries that failed every retry; none on a new Worker).
 *
 * Secrets come from the options or `IMESSAGE_WEBHOOK_SECRET` / `CRON_SECRET`. Exits 1 when a check
 * fails, 2 on usage errors. Every request shows in `npx wrangler tail`.
 */
import { randomUUID } from "node:crypto";
import process from "node:process";
import { postSigned } from "../test/fixtures/sign.mjs";

const USAGE = `usage: npm run smoke -- https://<worker>.<account>.workers.dev [--secret WEBHOOK_SECRET] [--cron-secret CRON_SECRET]
  --secret       the webhook signing secret(s) you stored with \`wrangler secret put IMESSAGE_WEBHOOK_SECRET\`, comma-separated (default: $IMESSAGE_WEBHOOK_SECRET); each is checked alone in its scheme
  --cron-secret  the CRON_SECRET you stored (default: $CRON_SECRET); without it the gateway checks are skipped`;

const args = process.argv.slice(2);
function option(name) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
if (args.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}
const base = args.find((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--"));
const secret = option("secret") ?? process.env.IMESSAGE_WEBHOOK_SECRET;
const cronSecret = option("cron-secret") ?? process.env.CRON_SECRET;
if (!base || !/^https?:\/\//.test(base) || !secret) {
  console.error(`${base && !/^https?:\/\//.test(base) ? `"${base}" is not a URL\n` : ""}${secret ? "" : "no webhook secret: pass --secret or set IMESSAGE_WEBHOOK_SECRET\n"}${USAGE}`);
  process.exit(2);
}
const worker = base.replace(/\/+$/, "");
const webhook = `${worker}/api/imessage/webhook`;

let failures = 0;
function report(ok, what, detail, hint) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}: ${detail}`);
  if (!ok) {
    failures++;
    if (hint) console.log(`     → ${hint}`);
  }
}

async function request(url, init) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: `no answer: ${error.cause?.message ?? error.message}` };
  }
}
const short = (text) => (text.length > 160 ? `${text.slice(0, 160)}…` : text);

const health = await request(`${worker}/healthz`);
report(health.status === 200, "GET /healthz", `${health.status} ${short(health.body)}`, "check the URL `wrangler deploy` printed, and that the deploy succeeded");

const envelope = JSON.stringify({
  event: "messages",
  message: {
    id: `smoke-${randomUUID()}`,
    platform: "imessage",
    direction: "outbound",
    timestamp: new Date().toISOString(),
    sender: { id: "smoke-test" },
    space: { id: "any;-;smoke-test@example.com", platform: "imessage", type: "dm", phone: "shared" },
    content: { type: "text", text: "smoke test from npm run smoke: the bot ignores its own outbound messages" },
  },
});

const unsigned = await request(webhook, { method: "POST", headers: { "content-type": "application/json" }, body: envelope });
report(
  unsigned.status === 400,
  "unsigned delivery is refused",
  `${unsigned.status} ${short(unsigned.body)}`,
  unsigned.status === 500 ? "the Worker has no webhook secret: `npx wrangler secret put IMESSAGE_WEBHOOK_SECRET`" : "expected 400 from /api/imessage/webhook: is this the Worker you deployed?",
);

const signed = await postSigned(webhook, { secret, body: envelope });
let status;
try {
  status = JSON.parse(signed.body).status;
} catch {
  // not JSON: reported below
}
report(
  signed.status === 200 && (status === "accepted" || status === "ignored"),
  "signed delivery is accepted",
  `${signed.status} ${short(signed.body)}`,
  signed.status === 401
    ? "the secret you passed is not the Worker's: `npx wrangler secret put IMESSAGE_WEBHOOK_SECRET` with both secrets of the webhook registration (`<hex>,<whsec_…>`), then pass them here"
    : "see the status and body",
);

// Which of the given secrets the Worker accepts, each alone in its own scheme (what Spectrum may send).
const kindOf = (entry) => (/^[0-9a-f]{64}$/i.test(entry) ? "64-hex signingSecret" : entry.startsWith("whsec_") ? "whsec_ secret" : "secret");
for (const [index, entry] of secret.split(/[\s,]+/).filter(Boolean).entries()) {
  const label = `secret ${index + 1} (${kindOf(entry)}, ${entry.slice(0, 8)}…)`;
  const probes = [["native", "X-Spectrum-Signature (v0)"]];
  if (/^whsec_[A-Za-z0-9+/]{32,}/.test(entry)) probes.push(["standard", "webhook-signature (v1, Standard Webhooks)"]);
  for (const [schemes, scheme] of probes) {
    const probe = await postSigned(webhook, { secret: entry, body: envelope, schemes });
    report(
      probe.status === 200,
      `accepts ${scheme} signed with ${label}`,
      `${probe.status} ${short(probe.body)}`,
      "add this secret to the Worker's IMESSAGE_WEBHOOK_SECRET (comma-separated beside the others), or pass only the secrets it holds",
    );
  }
}

if (cronSecret) {
  const auth = { headers: { authorization: `Bearer ${cronSecret}` } };
  const gateway = await request(`${worker}/api/imessage/gateway`, auth);
  report(gateway.status === 200, "GET /api/imessage/gateway (gateway Durable Object)", `${gateway.status} ${short(gateway.body)}`, gateway.status === 401 || gateway.status === 500 ? "set or pass the CRON_SECRET the Worker has" : undefined);
  const dead = await request(`${worker}/api/imessage/dead-letters`, auth);
  let count;
  try {
    count = JSON.parse(dead.body).count;
  } catch {
    // reported below
  }
  report(dead.status === 200, "GET /api/imessage/dead-letters", dead.status === 200 ? `${dead.status}, ${count} dead letter(s)` : `${dead.status} ${short(dead.body)}`, dead.status === 404 ? "this Worker predates the dead-letter route: redeploy" : undefined);
} else {
  console.log("skip GET /api/imessage/gateway and /dead-letters: pass --cron-secret (or set CRON_SECRET) to check them");
}

console.log(`
In \`npx wrangler tail\` (started before this), each request above shows as a line like
  POST ${webhook} - Ok @ <time>
${failures === 0 ? "Smoke test passed: now send an iMessage to your project's number and watch the bot answer." : `${failures} check(s) failed.`}`);
process.exit(failures === 0 ? 0 : 1);
