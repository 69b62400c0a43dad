#!/usr/bin/env node
/**
 * @module local-bridge/scripts/ensure-native
 * Makes better-sqlite3 load in the Node that runs this script, building the addon once against that
 * Node's own headers. `npm ci` skips better-sqlite3's install script (`allowScripts: false` in the root
 * package.json): only the bridge's tests and benches need the addon, and npm would build it for the
 * Node that runs npm (20 here), not for the `node@22` devDependency that npm scripts and vitest use.
 * `npm test` (scripts/test.mjs) runs this under that Node 22, beside the type checks; it prints nothing when the addon already
 * loads. The `node` registry package ships the headers, so no download is needed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const require = createRequire(import.meta.url);
const probe = 'const D = require("better-sqlite3"); new D(":memory:").close();';

/** True when better-sqlite3 opens a database in a fresh process of this Node. */
function loadsHere() {
  try {
    execFileSync(process.execPath, ["-e", probe], { cwd: dirname(import.meta.dirname), stdio: "pipe" });
    return true;
  } catch (error) {
    const stderr = String(error.stderr ?? "");
    if (/Cannot find module 'better-sqlite3'/.test(stderr)) {
      console.log("[ensure-native] better-sqlite3 is not installed: nothing to rebuild");
      process.exit(0);
    }
    return false;
  }
}

const hasHeaders = (dir) => existsSync(join(dir, "include", "node", "node_version.h"));
const platformPackage = `node-${process.platform}-${process.arch}`;

/** The folder holding `include/node` for the running Node, if one exists locally. */
function localHeadersDir() {
  const candidates = [resolve(dirname(process.execPath), "..")];
  try {
    const nodePackage = require.resolve("node/package.json");
    candidates.push(dirname(require.resolve(`${platformPackage}/package.json`, { paths: [dirname(nodePackage)] })));
  } catch {
    // `npm install` prunes the nested platform package of `node` as extraneous; see registryHeadersDir.
  }
  return candidates.find(hasHeaders);
}

/** Unpacks this Node's headers from its platform package on the npm registry (usually in npm's cache). */
function registryHeadersDir() {
  const root = dirname(dirname(import.meta.dirname));
  const target = join(root, "node_modules", ".cache", `node-headers-${process.versions.node}`);
  if (hasHeaders(join(target, "package"))) return join(target, "package");
  mkdirSync(target, { recursive: true });
  const spec = `${platformPackage}@${process.versions.node}`;
  try {
    const tarball = execFileSync(npmCommand(), [...npmPrefixArgs(), "pack", spec, "--pack-destination", target], {
      cwd: target,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    })
      .trim()
      .split("\n")
      .pop();
    execFileSync("tar", ["-xzf", join(target, tarball), "-C", target, "package/include"], { stdio: "inherit" });
    rmSync(join(target, tarball), { force: true });
  } catch (error) {
    console.warn(`[ensure-native] could not unpack headers from ${spec}: ${error.message}`);
    return undefined;
  }
  return hasHeaders(join(target, "package")) ? join(target, "package") : undefined;
}

function npmCommand() {
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith(".js") ? process.execPath : "npm";
}

function npmPrefixArgs() {
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith(".js") ? [npmCli] : [];
}

if (loadsHere()) process.exit(0);

const nodedir = localHeadersDir() ?? registryHeadersDir();
// The package's own install script (`prebuild-install || node-gyp rebuild --release`) is denied in
// allowScripts for `npm ci`; this one rebuild runs it, for this package only.
const npmArgs = ["rebuild", "better-sqlite3", "--dangerously-allow-all-scripts", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const started = Date.now();
console.log(`[ensure-native] building better-sqlite3 for Node ${process.version} once (about 2 min; only the local-bridge tests need it)`);
execFileSync(npmCommand(), [...npmPrefixArgs(), ...npmArgs], { stdio: "inherit", cwd: dirname(dirname(import.meta.dirname)) });

if (!loadsHere()) {
  console.error(
    `[ensure-native] better-sqlite3 still does not load in Node ${process.version}. ` +
      "Run `npm rebuild better-sqlite3` with this Node first on PATH, or pass --nodedir to its headers.",
  );
  process.exit(1);
}
console.log(`[ensure-native] better-sqlite3 built for Node ${process.version} in ${Math.round((Date.now() - started) / 1000)} s`);
