/**
 * @module local-bridge/test/build
 * The published form of the bridge: `dist/bridge.mjs` runs as plain JavaScript on Node 20 (the
 * package's `engines`), `dist/index.mjs` loads in Node's own module loader (no vite, no type
 * stripping) and creates the local adapter, and `npm pack` ships dist without the tests.
 *
 * The full build runs first (`scripts/build.mjs --types`: the root package with tsdown, the bridge with
 * esbuild, its declarations with tsc; about 12 s), so these tests check dist as built from the current
 * sources even when vitest runs alone. dist imports the Worker adapter from `chat-adapter-imessage` (a
 * peer), as users get it.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { ALICE, buildSampleChatDb } from "./fixtures/sample.ts";
import { tempDir } from "./helpers.ts";

const packageDir = dirname(import.meta.dirname);
const bridgeJs = join(packageDir, "dist", "bridge.mjs");
const indexJs = join(packageDir, "dist", "index.mjs");

/**
 * The first `node` on PATH that is Node 20, skipping `node_modules` folders (where the `node`
 * dev dependency puts Node 22). `NODE20` overrides the search.
 */
function findNode20(): string | undefined {
  const candidates = [
    ...(process.env.NODE20 ? [process.env.NODE20] : []),
    ...(process.env.PATH ?? "")
      .split(delimiter)
      .filter((dir) => dir && !dir.split(/[\\/]/).includes("node_modules"))
      .map((dir) => join(dir, process.platform === "win32" ? "node.exe" : "node")),
  ];
  for (const candidate of new Set(candidates)) {
    try {
      accessSync(candidate, constants.X_OK);
      if (execFileSync(candidate, ["-v"], { encoding: "utf8" }).trim().startsWith("v20.")) return candidate;
    } catch {
      // not there or not runnable
    }
  }
  return undefined;
}

const node20 = findNode20();
if (!node20) console.warn("[build.test] no Node 20 binary on PATH (outside node_modules): the Node 20 tests are skipped; set NODE20=/path/to/node");

/** Environment without the bridge's fallbacks, so the argument checks see only the arguments. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["IMESSAGE_RELAY_URL", "RELAY_SECRET", "IMESSAGE_DB_PATH"]) delete env[name];
  return env;
}

function run(node: string, args: string[]) {
  const result = spawnSync(node, args, { encoding: "utf8", env: cleanEnv(), cwd: tempDir(), timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, version: execFileSync(node, ["-v"], { encoding: "utf8" }).trim() };
}

beforeAll(() => {
  // The full build (`npm run build -w local-bridge`, prepack): the adapter package the bridge imports at
  // run time (its dist, as users get it), then the bridge's JavaScript and declarations.
  execFileSync(process.execPath, [join(packageDir, "scripts", "build.mjs"), "--types"], { stdio: "pipe" });
}, 60_000);

describe("dist", () => {
  it("is plain JavaScript with a node shebang and no imports back into the repository", () => {
    const bridge = readFileSync(bridgeJs, "utf8");
    expect(bridge.startsWith("#!/usr/bin/env node\n")).toBe(true);
    accessSync(bridgeJs, constants.X_OK);
    for (const code of [bridge, readFileSync(indexJs, "utf8")]) {
      const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["']([^"']+)["']/g)].map((match) => match[1] ?? "");
      expect(specifiers.length).toBeGreaterThan(0);
      // Relative imports and .ts files would point into the repository; @spectrum-ts/core is bundled.
      expect(specifiers.filter((specifier) => specifier.startsWith(".") || specifier.endsWith(".ts") || specifier.startsWith("@spectrum-ts/"))).toEqual([]);
    }
  });
});

describe.skipIf(!node20)("dist/bridge.mjs on Node 20", () => {
  it("prints usage for --help and exits 0", () => {
    const { status, stdout, version } = run(node20!, [bridgeJs, "--help"]);
    expect(version).toMatch(/^v20\./);
    expect(status).toBe(0);
    expect(stdout).toContain("Usage: chat-adapter-imessage-bridge relay --url");
  });

  it("exits 2 and says what to pass when relay has no --url", () => {
    const { status, stderr } = run(node20!, [bridgeJs, "relay", "--secret", "s"]);
    expect(status).toBe(2);
    expect(stderr).toContain("--url");
    expect(stderr).toContain("IMESSAGE_RELAY_URL");
  });

  it("exits 2 without --secret, on an unknown command, and on a bad --start-at", () => {
    for (const args of [
      ["relay", "--url", "https://worker.example/api/imessage/relay"],
      ["serve", "--url", "https://worker.example/api/imessage/relay", "--secret", "s"],
      ["relay", "--url", "https://worker.example/api/imessage/relay", "--secret", "s", "--start-at", "yesterday"],
    ]) {
      const { status, stderr } = run(node20!, [bridgeJs, ...args]);
      expect(status, args.join(" ")).toBe(2);
      expect(stderr).toContain("--secret <RELAY_SECRET>");
    }
  });

  it("rejects an unknown option with Node's message and the usage, exit 2", () => {
    const { status, stderr } = run(node20!, [bridgeJs, "relay", "--colour"]);
    expect(status).toBe(2);
    expect(stderr).toContain("--colour");
    expect(stderr).toContain("Usage: chat-adapter-imessage-bridge relay");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("loads dist/index.mjs and its dependencies", () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(indexJs).href)}); console.log(typeof m.createiMessageAdapter, typeof m.LocalIMessageAdapter, typeof m.startRelayBridge);`;
    const { status, stdout, stderr } = run(node20!, ["--input-type=module", "-e", script]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout.trim()).toBe("function function function");
  });
});

describe.skipIf(!node20)("relay client of dist/index.mjs on Node 20", () => {
  it("connects through the ws package (Node 20 has no global WebSocket) to an http:// URL with the bearer secret", async () => {
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    try {
      await new Promise<void>((resolve) => server.once("listening", resolve));
      const { port } = server.address() as AddressInfo;
      const authorization = new Promise<string | undefined>((resolve) =>
        server.on("connection", (_socket, request) => resolve(request.headers.authorization)),
      );
      const script = `
        const { RelayClient } = await import(${JSON.stringify(pathToFileURL(indexJs).href)});
        if (globalThis.WebSocket) throw new Error("expected no global WebSocket on " + process.version);
        new RelayClient({ url: "http://127.0.0.1:${port}/api/imessage/relay", secret: "relay_test", sender: async () => {} }).start();
      `;
      const child = spawn(node20!, ["--input-type=module", "-e", script], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const exited = new Promise<string>((resolve) => child.once("exit", (code) => resolve(`exited ${code}: ${stderr}`)));
      try {
        expect(await Promise.race([authorization, exited])).toBe("Bearer relay_test");
      } finally {
        child.kill();
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 20_000);
});

describe("dist/index.mjs in Node's own loader", () => {
  it("creates the local adapter, which reads a Messages database", () => {
    // better-sqlite3 in node_modules is built for the Node that runs npm scripts and vitest (22).
    const dbPath = join(tempDir(), "chat.db");
    buildSampleChatDb(dbPath);
    const script = `
      const { createiMessageAdapter, LocalIMessageAdapter, memoryWatermark } = await import(${JSON.stringify(pathToFileURL(indexJs).href)});
      const adapter = createiMessageAdapter({
        local: true, dbPath: ${JSON.stringify(dbPath)}, env: {}, userName: "bot",
        watermark: memoryWatermark(), startAt: "beginning", autoStart: false,
        runOsascript: async () => ({ stdout: "", stderr: "" }),
      });
      const threads = [];
      const chat = {
        processMessage: async (_adapter, threadId) => { threads.push(threadId); },
        processReaction: () => {},
        getLogger: () => undefined,
      };
      await adapter.initialize(chat);
      await adapter.watcher.poll();
      console.log(JSON.stringify({ local: adapter instanceof LocalIMessageAdapter, name: adapter.name, threads }));
      await adapter.disconnect();
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: cleanEnv(), timeout: 20_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout.trim().split("\n").pop()!);
    expect(out.local).toBe(true);
    expect(out.name).toBe("imessage");
    expect(out.threads.length).toBeGreaterThan(0);
    expect(out.threads).toContain(`imessage:any;-;${ALICE}`);
  });
});

describe("npm pack", () => {
  it("ships dist and the README, not the sources or tests", () => {
    const npmCli = process.env.npm_execpath;
    const [command, prefix] = npmCli?.endsWith(".js") ? [process.execPath, [npmCli]] : ["npm", []];
    const json = execFileSync(command, [...prefix, "pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packageDir, encoding: "utf8" });
    const files = (JSON.parse(json) as [{ files: { path: string }[] }])[0].files.map((file) => file.path);
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    expect(files).toContain("dist/bridge.mjs");
    expect(files).toContain("dist/index.mjs");
    expect(files).toContain("README.md");
    expect(files).toContain(pkg.bin["chat-adapter-imessage-bridge"].replace(/^\.\//, ""));
    expect(files.filter((file) => /^(test|src|bin|scripts)\//.test(file) || file.endsWith(".ts") && !file.endsWith(".d.ts"))).toEqual([]);
    expect(existsSync(join(packageDir, pkg.exports["."].default))).toBe(true);
  });
});

describe("declarations (npm run build / prepack)", () => {
  it("name only declared packages and give a strict consumer real types", () => {
    const typesDir = join(packageDir, "dist", "types");
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    expect(existsSync(join(packageDir, pkg.types))).toBe(true);
    // Every package the declarations import is a dependency (the consumer below skips lib checks, where
    // an unresolved import would silently turn into `any`).
    // (@types/node aside, which a Node consumer has anyway: the @types of a dependency would not be installed.)
    // chat-adapter-imessage is a peer: the user installs it beside the bridge (one copy for both).
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {}), "@types/node"]);
    for (const entry of readdirSync(typesDir, { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".d.ts")) continue;
      const code = readFileSync(join(typesDir, entry), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
      for (const [, specifier = ""] of code.matchAll(/\bfrom\s*"([^"]+)"/g)) {
        if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        expect(declared.has(name) || declared.has(`@types/${name}`), `${entry} imports ${specifier}`).toBe(true);
      }
    }

    const consumer = tempDir();
    mkdirSync(join(consumer, "node_modules"));
    symlinkSync(packageDir, join(consumer, "node_modules", "chat-adapter-imessage-bridge"), "dir");
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(packageDir, "..", "node_modules", "@types")],
          types: ["node"],
        },
        files: ["use.ts"],
      }),
    );
    writeFileSync(
      join(consumer, "use.ts"),
      [
        'import { createiMessageAdapter, LocalIMessageAdapter, toEnvelope, type RelayBridgeOptions } from "chat-adapter-imessage-bridge";',
        'const adapter: LocalIMessageAdapter = createiMessageAdapter({ local: true, dbPath: "chat.db", startAt: "beginning" });',
        "const name: string = adapter.name;",
        '// @ts-expect-error startAt is "latest" | "beginning"',
        'createiMessageAdapter({ local: true, startAt: "yesterday" });',
        "export type Options = RelayBridgeOptions;",
        "export { name, toEnvelope };",
      ].join("\n"),
    );
    const tsc = join(packageDir, "..", "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", consumer], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);
});
