/**
 * @module e2e/example-template
 * `examples/worker` as a user gets it: the package packed (`scripts/pack.mjs`) and installed from the
 * tarball into a copy of the template, type-checked, bundled by wrangler (under the 400 KiB gzip budget,
 * without spectrum-ts), then run under `wrangler dev` against the simulator and driven through the
 * adapter's documented flow.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { DEMO_SECRETS, freePort, startStack } from "../../scripts/stack.ts";
import { simulatorClient, type RecordedRequest } from "../simulator/client.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = join(ROOT, "examples", "worker");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/** The template's bundle budget (`wrangler deploy --dry-run`, gzip). */
const BUDGET_KIB = 400;

interface Run {
  ok: boolean;
  output: string;
}

async function run(command: string, args: string[], cwd: string): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: "0", WRANGLER_SEND_METRICS: "false" } }, (error, stdout, stderr) =>
      resolve({ ok: !error, output: `${stdout}${stderr}` }),
    );
  });
}

/** Runs a step and prints how long it took (the suite must stay fast on 2 cores). */
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    console.log(`examples/worker: ${step} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

async function must(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (!result.ok) throw new Error(`${[command, ...args].join(" ")} failed in ${cwd}:\n${result.output}`);
  return result.output;
}

/** True when esbuild's output holds modules of `name` (it heads each module with `// <path>`). */
function bundles(bundle: string, name: string): boolean {
  return new RegExp(`^// (\\.\\./)*node_modules/${name.replace("/", "\\/")}/`, "m").test(bundle);
}

/** A copy of the template with the packed package installed (runtime dependencies; the dev tools are the repository's). */
async function installTemplate(dir: string): Promise<void> {
  cpSync(EXAMPLE, dir, {
    recursive: true,
    filter: (source) => !/^(node_modules|vendor|\.wrangler|\.dev\.vars$|package-lock\.json)/.test(relative(EXAMPLE, source)),
  });
  await timed("pack", () => must(process.execPath, [join(ROOT, "scripts", "pack.mjs"), "--out", join(dir, "vendor")], ROOT));
  await timed("npm install of the tarball", () =>
    must("npm", ["install", "--prefer-offline", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], dir),
  );
  mkdirSync(join(dir, "node_modules", "@cloudflare"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules", "@cloudflare", "workers-types"), join(dir, "node_modules", "@cloudflare", "workers-types"));
}

test("examples/worker installs from the packed package, type-checks, stays lean and runs the documented flow", { timeout: 480_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "imessage-template-"));
  try {
    await installTemplate(dir);

    // Opting in to the gateway's spectrum-ts app, as documented: the alias keeps open-graph-scraper out.
    const withSpectrum = readFileSync(join(dir, "src", "index.ts"), "utf8").replace(
      "export const { DeliveryLedger, GatewayDO, ChatStateDO } = worker.durableObjects;",
      [
        'import { createGatewayDurableObject } from "chat-adapter-imessage/worker";',
        'import { gatewaySpectrum } from "chat-adapter-imessage/spectrum";',
        "export const { DeliveryLedger, ChatStateDO } = worker.durableObjects;",
        "export class GatewayDO extends createGatewayDurableObject(bot, { spectrum: gatewaySpectrum() }) {}",
      ].join("\n"),
    );
    expect(withSpectrum).toContain("spectrum: gatewaySpectrum()");
    mkdirSync(join(dir, "spectrum", "src"), { recursive: true });
    writeFileSync(join(dir, "spectrum", "src", "index.ts"), withSpectrum);
    writeFileSync(
      join(dir, "spectrum", "wrangler.toml"),
      `${readFileSync(join(dir, "wrangler.toml"), "utf8")}\n[alias]\n"open-graph-scraper" = "chat-adapter-imessage/open-graph-scraper-stub"\n`,
    );

    // Three independent checks at once (tsc is single-threaded, the bundler is not): 2 cores stay busy.
    const [tsc, dryRun, spectrumRun] = await Promise.all([
      // The template's own tsconfig (no allowImportingTsExtensions), and skipLibCheck off: the package's
      // sources and the template type-check; the only diagnostics are in two dependencies' own .d.ts
      // (they name Node's Buffer, which @cloudflare/workers-types does not declare).
      timed("tsc --noEmit --skipLibCheck false", () => run(process.execPath, [TSC, "--noEmit", "-p", dir, "--skipLibCheck", "false"], dir)),
      timed("wrangler deploy --dry-run", () => must(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", join(dir, "dry-run")], dir)),
      timed("wrangler deploy --dry-run with chat-adapter-imessage/spectrum", () =>
        must(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", join(dir, "dry-run-spectrum")], join(dir, "spectrum")),
      ),
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
    } finally {
      await stack.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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
