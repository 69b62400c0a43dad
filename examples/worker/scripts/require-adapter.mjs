#!/usr/bin/env node
/**
 * Stops `npm run setup` / `dev` / `deploy` / `check` / `types` with one sentence when chat-adapter-imessage is not here:
 * it is not on npm yet, so it comes from a tarball packed in a clone of its repository (README.md,
 * "Install"). `--tarball` checks the tarball `package.json` names (before `npm install`); without it,
 * the installed package.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const tarball = String(pkg.dependencies?.["chat-adapter-imessage"] ?? "").replace(/^file:/, "");
const pack = `in a clone of the chat-adapter-imessage repository run \`npm ci && npm pack --pack-destination ${here}\``;

if (!existsSync(new URL(`../${tarball}`, import.meta.url))) {
  console.error(`chat-adapter-imessage is not on npm yet and ${tarball} is not in this folder: ${pack}, then \`npm run setup\` here (README.md, Install).`);
  process.exit(1);
}
if (!process.argv.includes("--tarball") && !existsSync(new URL("../node_modules/chat-adapter-imessage/package.json", import.meta.url))) {
  console.error(`chat-adapter-imessage is not installed: run \`npm run setup\` here (README.md, Install).`);
  process.exit(1);
}
