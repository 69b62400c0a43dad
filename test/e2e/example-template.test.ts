/**
 * @module e2e/example-template
 * `examples/worker` as a user gets it: the template's files as a clone has them (git's tracked and
 * not-ignored files) copied to a folder outside the repository, where `npm run setup` and `npm run dev`
 * first say in one sentence that the package is missing; then the tarball of plain `npm pack` put
 * there (README "Install") and `npm run setup`, and the copy type-checks, bundles with wrangler (under
 * the 450 KiB gzip budget, without spectrum-ts, which is not even installed), runs under `wrangler dev`
 * against the simulator through the adapter's documented flow, and bundles the opt-in spectrum-ts app
 * once spectrum-ts is installed.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { DEMO_SECRETS, freePort, startStack } from "../../scripts/stack.ts";
import { simulatorClient, type RecordedRequest } from "../simulator/client.ts";
import { linkWorkersTypes, must, npmPack, ROOT, run, tempProject, timed, TSC, WRANGLER } from "./packed-package.ts";

/**
 * The template's bundle budget (`wrangler deploy --dry-run`, gzip): 400 KiB before phone numbers were
 * normalised with libphonenumber-js (its `min` metadata is about 29 KiB gzip); far under the Free plan's 3 MB.
 */
const BUDGET_KIB = 450;
/**
 * `npm run setup`'s install without the dev tools (wrangler, TypeScript, Node 22: the repository's are
 * used) and without install scripts, from npm's cache where it can (npm reads `npm_config_*`).
 */
const INSTALL_ENV = { npm_config_omit: "dev", npm_config_ignore_scripts: "true", npm_config_prefer_offline: "true" };

/** True when esbuild's output holds modules of `name` (it heads each module with `// <path>`). */
function bundles(bundle: string, name: string): boolean {
  return new RegExp(`^// (\\.\\./)*node_modules/${name.replace("/", "\\/")}/`, "m").test(bundle);
}

/** Copies the template's files a clone has (tracked, or new and not ignored): whatever it needs must be among them. */
async function copyTemplate(dir: string): Promise<void> {
  const files = (await must("git", ["ls-files", "-co", "--exclude-standard", "-z", "--", "examples/worker"], ROOT)).split("\0").filter(Boolean);
  expect(files).toContain("examples/worker/package.json");
  for (const file of files) {
    const target = join(dir, file.slice("examples/worker/".length));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(ROOT, file), target);
  }
}

/** `npm run <script>` in the copy before the package is there: one sentence on stderr, no stack trace. */
async function saysPackageMissing(dir: string, script: string): Promise<void> {
  const result = await run("npm", ["run", script], dir);
  expect(result.ok, `npm run ${script} without the package`).toBe(false);
  expect(result.stderr.trim().split("\n"), `npm run ${script}: ${result.stderr}`).toEqual([expect.stringMatching(/^chat-adapter-imessage is not on npm yet .*npm pack.*README\.md, Install\)\.$/)]);
}

/** The template copied outside the repository, then installed from the packed package by its README. */
async function installTemplate(dir: string): Promise<void> {
  await copyTemplate(dir);
  await Promise.all(["setup", "dev", "check", "types"].map((script) => saysPackageMissing(dir, script)));
  await npmPack(dir);
  await timed("examples/worker: npm run setup", () => must("npm", ["run", "setup"], dir, INSTALL_ENV));
  await must(process.execPath, ["scripts/require-adapter.mjs"], dir);
  linkWorkersTypes(dir);
}

test("examples/worker installs from the packed package, type-checks, stays lean and runs the documented flow", { timeout: 480_000 }, async () => {
  const dir = tempProject("imessage-template-");
  try {
    await installTemplate(dir);

    // Opting in to the gateway's spectrum-ts app, as documented: the alias keeps open-graph-scraper out.
    const withSpectrum = readFileSync(join(dir, "src", "index.ts"), "utf8").replace(
      "export const { DeliveryLedger, GatewayDO, ChatStateDO } = worker.durableObjects;",
      [
        'import { createGatewayDurableObject } from "chat-adapter-imessage/worker";',
        'import { gatewaySpectrum } from "chat-adapter-imessage/spectrum";',
        "export const { DeliveryLedger, ChatStateDO } = worker.durableObjects;",
        "export class GatewayDO extends createGatewayDurableObject(worker.bot, { spectrum: gatewaySpectrum() }) {}",
      ].join("\n"),
    );
    expect(withSpectrum).toContain("spectrum: gatewaySpectrum()");
    mkdirSync(join(dir, "spectrum", "src"), { recursive: true });
    writeFileSync(join(dir, "spectrum", "src", "index.ts"), withSpectrum);
    writeFileSync(
      join(dir, "spectrum", "wrangler.toml"),
      `${readFileSync(join(dir, "wrangler.toml"), "utf8")}\n[alias]\n"open-graph-scraper" = "chat-adapter-imessage/open-graph-scraper-stub"\n`,
    );

    // Two independent checks at once (tsc is single-threaded, the bundler is not): 2 cores stay busy.
    const [tsc, dryRun] = await Promise.all([
      // The template's own tsconfig, and skipLibCheck off: the package's declarations and the template
      // type-check; the only diagnostics are in two dependencies' own .d.ts (they name Node's Buffer,
      // which @cloudflare/workers-types does not declare).
      timed("tsc --noEmit --skipLibCheck false", () => run(process.execPath, [TSC, "--noEmit", "-p", dir, "--skipLibCheck", "false"], dir)),
      timed("wrangler deploy --dry-run", () => must(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", join(dir, "dry-run")], dir)),
    ]);
    const diagnostics = tsc.output.split("\n").filter((line) => /error TS\d+/.test(line));
    expect(diagnostics.filter((line) => !/^node_modules\/(chat|@photon-ai\/advanced-imessage)\/dist\/[^(]+\.d\.ts\(/.test(line))).toEqual([]);

    const [, total, gzip] = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(dryRun) ?? [];
    console.log(`examples/worker bundle: ${total} KiB, gzip ${gzip} KiB (budget ${BUDGET_KIB} KiB gzip)`);
    expect(Number(gzip)).toBeGreaterThan(0);
    expect(Number(gzip)).toBeLessThanOrEqual(BUDGET_KIB);
    const bundle = readFileSync(join(dir, "dry-run", "index.js"), "utf8");
    for (const heavy of ["spectrum-ts", "@opentelemetry", "mime-db", "open-graph-scraper"]) {
      expect(bundles(bundle, heavy), `${heavy} is bundled`).toBe(false);
    }

    // The opt-in app needs its optional peer installed, as docs/gateway.md says.
    await timed("npm install spectrum-ts", () => must("npm", ["install", "--no-audit", "--no-fund", "spectrum-ts@12.8.0"], dir, INSTALL_ENV));
    const spectrumRun = await timed("wrangler deploy --dry-run with chat-adapter-imessage/spectrum", () =>
      must(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", join(dir, "dry-run-spectrum")], join(dir, "spectrum")),
    );
    console.log(`examples/worker with chat-adapter-imessage/spectrum: ${/Total Upload: .*/.exec(spectrumRun)?.[0]}`);
    const spectrumBundle = readFileSync(join(dir, "dry-run-spectrum", "index.js"), "utf8");
    expect(bundles(spectrumBundle, "spectrum-ts")).toBe(true);
    expect(bundles(spectrumBundle, "open-graph-scraper")).toBe(false);
    expect(bundles(spectrumBundle, "cheerio")).toBe(false);

    const [workerPort, simulatorPort] = [await freePort(), await freePort()];
    const stack = await timed("wrangler dev start", () => startStack({
      workerPort,
      simulatorPort,
      worker: dir,
      botName: "mybot",
      persistTo: join(dir, ".state"),
    }));
    try {
      await timed("documented flow", () => documentedFlow(stack.workerUrl, stack.simulatorUrl));
      await timed("README's curl without the chat page", () => readmeCurl(dir, stack.workerUrl, stack.simulatorUrl));
      // The chat page knows it drives another Worker: it describes none of the demo bot's behaviours.
      expect(await (await fetch(`${stack.simulatorUrl}/chat/config.json`)).json()).toMatchObject({ botName: "mybot", ownWorker: expect.any(String) });
    } finally {
      await stack.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The template README's shell block for running without the chat page, as written (its ports swapped
 * for this run's): the simulator signs and delivers a message, and the bot's reply is in `/__sim/sends`.
 */
async function readmeCurl(dir: string, workerUrl: string, simulatorUrl: string): Promise<void> {
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  const block = /```sh\n(secret=[\s\S]*?)```/.exec(readme)?.[1];
  expect(block, "README.md has the curl block").toBeDefined();
  cpSync(join(dir, ".dev.vars.example"), join(dir, ".dev.vars"));
  const script = block!.replaceAll("http://127.0.0.1:8788", simulatorUrl).replaceAll("http://127.0.0.1:8787", workerUrl);
  const output = await must("bash", ["-euo", "pipefail", "-c", script], dir);
  expect(output).toContain('\\"status\\":\\"accepted\\"');
  // The block reads /__sim/sends right away; a person typing it a second later sees the reply, so wait for it here.
  const replies = async () => {
    const sends = (await (await fetch(`${simulatorUrl}/__sim/sends`)).json()) as { delivered: { chatGuid: string; text?: string }[] };
    return sends.delivered.filter((m) => m.chatGuid === "any;-;+15551234567").map((m) => m.text);
  };
  await expect.poll(replies, { timeout: 15_000 }).toEqual(["Hello from iMessage!"]);
}

async function documentedFlow(workerUrl: string, simulatorUrl: string): Promise<void> {
  const sim = simulatorClient(simulatorUrl);
  const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  const dm = `any;-;${address}`;
  const group = `any;+;chat${crypto.randomUUID().replaceAll("-", "")}`;

  const deliver = async (chatGuid: string, content: Record<string, unknown>): Promise<string> => {
    const id = `tpl-${crypto.randomUUID()}`;
    const type = chatGuid === dm ? "dm" : "group";
    const result = await sim.deliver({
      url: `${workerUrl}/api/imessage/webhook`,
      secret: DEMO_SECRETS.IMESSAGE_WEBHOOK_SECRET,
      envelope: {
        event: "messages",
        message: {
          id,
          platform: "imessage",
          direction: "inbound",
          timestamp: new Date().toISOString(),
          sender: { id: address },
          space: { id: chatGuid, platform: "imessage", type, phone: "shared" },
          content,
        },
      } as never,
    });
    expect(result.status).toBe(200);
    return id;
  };
  const seen = async (path: string, since: number, match: (body: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    let found: RecordedRequest | undefined;
    await expect
      .poll(
        async () => {
          found = (await sim.requests({ path, since })).find((r) => match(r.body as Record<string, unknown>));
          return found !== undefined;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
    return (found as RecordedRequest).body as Record<string, unknown>;
  };
  const said = (chatGuid: string, text: string) => (body: Record<string, unknown>) => body.chatGuid === chatGuid && body.text === text;

  // A DM → onNewMention → thread.post("Hello from iMessage!").
  let since = await sim.mark();
  await deliver(dm, { type: "text", text: "hi" });
  await seen("/v1/messages:sendText", since, said(dm, "Hello from iMessage!"));

  // message.openModal(Modal(...)) → a native poll; a vote → onModalSubmit with values.color === "blue".
  since = await sim.mark();
  await deliver(dm, { type: "text", text: "what is your favorite color?" });
  const poll = await seen("/v1/polls", since, (body) => body.chatGuid === dm);
  expect(poll).toMatchObject({ title: "What is your favorite color?", options: ["Red", "Blue", "Green"] });
  since = await sim.mark();
  await deliver(dm, { type: "poll_option", selected: true, option: { title: "Blue" }, poll: { title: poll.title, options: [] } });
  await seen("/v1/messages:sendText", since, said(dm, "You picked blue"));

  // thread.adapter.addReaction(…, "love") → a ❤️ tapback on the user's message.
  since = await sim.mark();
  const thanked = await deliver(dm, { type: "text", text: "thanks!" });
  const tapback = await seen("/v1/messages:setReaction", since, () => true);
  expect(tapback).toMatchObject({ target: { chatGuid: dm, messageGuid: thanked }, isSet: true });
  // LOVE is the enum's zero value, which proto3 JSON leaves out: `reaction: {}` on the wire means love.
  expect((tapback.reaction as { kind?: string }).kind ?? "MESSAGE_REACTION_KIND_LOVE").toBe("MESSAGE_REACTION_KIND_LOVE");

  // An inbound 👍 → onReaction with thumbs_up.
  since = await sim.mark();
  await deliver(dm, { type: "reaction", emoji: "👍", target: { id: thanked } });
  await seen("/v1/messages:sendText", since, said(dm, "Glad you like it!"));

  // A group message "@<the Chat's userName> hi" → onNewMention answers in the group.
  since = await sim.mark();
  await deliver(group, { type: "text", text: "@mybot hi" });
  await seen("/v1/messages:sendText", since, said(group, "Hello from iMessage!"));

  // The gateway routes: 401 without the cron secret, 200 with it.
  for (const path of ["/api/imessage/gateway", "/api/imessage/listen"]) {
    expect((await fetch(`${workerUrl}${path}`)).status, path).toBe(401);
    const authorized = await fetch(`${workerUrl}${path}`, { headers: { authorization: `Bearer ${DEMO_SECRETS.CRON_SECRET}` } });
    expect(authorized.status, `${path}: ${await authorized.clone().text()}`).toBe(200);
  }
}
