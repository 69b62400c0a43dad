#!/usr/bin/env node
/**
 * @module scripts/pack
 * Packs `chat-adapter-imessage` the way it is published: `node scripts/pack.mjs [--out DIR]` prints the
 * path of the tarball (default `examples/worker/vendor/chat-adapter-imessage.tgz`, the template's
 * dependency until the package is on npm).
 *
 * The package ships its TypeScript sources (wrangler bundles them; a consumer's `tsc` checks them).
 * The repository imports with `.ts` extensions (`allowImportingTsExtensions`), which a consumer's
 * default tsconfig rejects, so the packed copy imports `./x.js` instead (TypeScript and esbuild both
 * resolve that to `./x.ts`), and its package.json leaves out what only this repository uses (scripts,
 * devDependencies, workspaces, allowScripts): no script runs, not here (`--ignore-scripts`), not in a
 * consumer's install.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = dirname(import.meta.dirname);
const outIndex = process.argv.indexOf("--out");
const outDir = resolve(outIndex > 0 ? process.argv[outIndex + 1] : join(root, "examples", "worker", "vendor"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const started = performance.now();

const RELATIVE_TS_IMPORT = /((?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'])(\.{1,2}\/[^"']+)\.ts(["'])/g;

const staging = mkdtempSync(join(tmpdir(), "chat-adapter-imessage-pack-"));
try {
  // What only this repository uses (its scripts, dev tools, workspace, install-script policy) stays
  // out of the published manifest, so installing the package runs and warns about nothing.
  const { scripts: _scripts, devDependencies: _dev, workspaces: _workspaces, allowScripts: _allow, ...published } = pkg;
  writeFileSync(join(staging, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
  for (const entry of pkg.files) cpSync(join(root, entry), join(staging, entry), { recursive: true });
  for (const entry of readdirSync(staging, { recursive: true })) {
    const file = join(staging, entry);
    if (!/\.(ts|mts)$/.test(file) || file.endsWith(".d.ts")) continue;
    const source = readFileSync(file, "utf8");
    const rewritten = source.replace(RELATIVE_TS_IMPORT, "$1$2.js$3");
    if (rewritten !== source) writeFileSync(file, rewritten);
  }
  mkdirSync(outDir, { recursive: true });
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", outDir], { cwd: staging, encoding: "utf8" }),
  );
  // A stable name, so the template's dependency (`file:vendor/chat-adapter-imessage.tgz`) never changes.
  const tarball = join(outDir, `${pkg.name}.tgz`);
  renameSync(join(outDir, packed.filename), tarball);
  console.error(
    `[pack] ${pkg.name}@${pkg.version}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KiB in ${Math.round(performance.now() - started)} ms`,
  );
  console.log(tarball);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
