#!/usr/bin/env node
/**
 * @module local-bridge/scripts/build
 * Builds the publishable JavaScript of the bridge with esbuild: `bin/bridge.ts` → `dist/bridge.mjs`
 * (executable, `#!/usr/bin/env node`) and `src/index.ts` → `dist/index.mjs`, ESM for Node 20.
 * The bridge's own code (`local-bridge/src`) and `@spectrum-ts/core/webhook` (whose package peers on
 * TypeScript and pulls link-preview libraries) are bundled; every package in this package's
 * `dependencies` and `peerDependencies` stays an import — the Worker adapter among them
 * (`chat-adapter-imessage`, `/extend`, `/relay-protocol`), which the user installs beside the bridge.
 *
 * `--types` first builds that adapter package (its `.d.ts` are what the bridge's declarations are
 * checked against), then emits declarations with `tsc -p tsconfig.build.json` into `dist/types`
 * (about 10 s, so the root `npm run build` skips it; this package's `npm run build` and `prepack`
 * include it).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";

const packageDir = dirname(import.meta.dirname);
const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
const withTypes = process.argv.includes("--types");
const started = performance.now();

// A full build (`--types`, used by prepack) starts from an empty dist; the quick one overwrites its two files.
if (withTypes) rmSync(join(packageDir, "dist"), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Subpath imports (`chat/…`, `ws/…`) of a dependency stay external too.
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})].flatMap((name) => [name, `${name}/*`]),
  legalComments: "inline",
  logLevel: "warning",
  metafile: true,
};

const results = await Promise.all([
  build({
    ...common,
    entryPoints: [join(packageDir, "bin", "bridge.ts")],
    outfile: join(packageDir, "dist", "bridge.mjs"),
    // The source's own `#!/usr/bin/env node` line is kept by esbuild as the first line.
  }),
  build({
    ...common,
    entryPoints: [join(packageDir, "src", "index.ts")],
    outfile: join(packageDir, "dist", "index.mjs"),
  }),
]);
chmodSync(join(packageDir, "dist", "bridge.mjs"), 0o755);

// Every bare import left in the output must be a declared dependency (or a Node built-in).
const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
const undeclared = new Set();
for (const { metafile } of results) {
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) {
      if (!external || path.startsWith("node:")) continue;
      const name = path.startsWith("@") ? path.split("/").slice(0, 2).join("/") : path.split("/")[0];
      if (!declared.has(name)) undeclared.add(path);
    }
  }
}
if (undeclared.size) {
  console.error(`[build] dist imports packages that are not in local-bridge dependencies: ${[...undeclared].join(", ")}`);
  process.exit(1);
}

if (withTypes) {
  const require = createRequire(import.meta.url);
  // The adapter as built (its dist), so a fresh clone's `npm pack` here needs no other step first.
  const rootDir = dirname(packageDir);
  execFileSync(process.execPath, [join(rootDir, "node_modules", "tsdown", "dist", "run.mjs"), "--log-level", "warn"], { cwd: rootDir, stdio: "inherit" });
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], { stdio: "inherit" });
  vendorSpectrumWebhookTypes(require);
  pruneUnreachableTypes(join(packageDir, pkg.types));
}

/**
 * tsc declares every file of the program, also ones the published declarations never reach (test
 * helpers, modules only the bin uses). Keeps only the declaration files reachable from the `types` entry.
 */
function pruneUnreachableTypes(entry) {
  const reached = new Set();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)"(\.[^"]+)"/g)) {
      const target = join(dirname(file), specifier).replace(/\.(ts|js)$/, ".d.ts");
      if (!reached.has(target)) queue.push(target);
    }
  }
  const typesDir = join(packageDir, "dist", "types");
  for (const entry of readdirSync(typesDir, { recursive: true })) {
    const file = join(typesDir, entry);
    if (file.endsWith(".d.ts") && !reached.has(file)) rmSync(file);
  }
  for (const entry of readdirSync(typesDir, { recursive: true }).reverse()) {
    const dir = join(typesDir, entry);
    try {
      if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    } catch {
      // a file
    }
  }
}

/**
 * The declarations name `@spectrum-ts/core/webhook` types (SlimEnvelope…), whose code is bundled, not
 * a dependency. Its declaration file imports only `zod` (a dependency), so it is copied next to the
 * declarations and the imports are pointed at the copy.
 */
function vendorSpectrumWebhookTypes(require) {
  const typesDir = join(packageDir, "dist", "types");
  const source = join(dirname(require.resolve("@spectrum-ts/core/webhook")), "webhook.d.ts");
  const copy = join(typesDir, "vendor", "spectrum-ts-core-webhook.d.ts");
  const { version, license } = JSON.parse(readFileSync(join(dirname(source), "..", "package.json"), "utf8"));
  mkdirSync(dirname(copy), { recursive: true });
  copyFileSync(source, copy);
  writeFileSync(copy, `// @spectrum-ts/core@${version}/webhook declarations (${license}), copied by scripts/build.mjs\n${readFileSync(copy, "utf8")}`);
  for (const entry of readdirSync(typesDir, { recursive: true })) {
    const file = join(typesDir, entry);
    if (!file.endsWith(".d.ts") || file === copy) continue;
    const text = readFileSync(file, "utf8");
    const target = relative(dirname(file), copy).replace(/\.d\.ts$/, ".js");
    const rewritten = text.replaceAll('"@spectrum-ts/core/webhook"', JSON.stringify(target.startsWith(".") ? target : `./${target}`));
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

const sizes = results
  .flatMap(({ metafile }) => Object.entries(metafile.outputs))
  .map(([file, { bytes }]) => `${file.split("/").pop()} ${(bytes / 1024).toFixed(0)} KB`);
console.error(`[build] local-bridge/dist: ${sizes.join(", ")}${withTypes ? ", types" : ""} in ${Math.round(performance.now() - started)} ms`);
