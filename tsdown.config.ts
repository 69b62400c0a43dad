/**
 * The package users install (`npm pack`): ESM + `.d.ts` for each entry point, `cloudflare:*` and every
 * dependency and peer left external (the user's bundler — wrangler — resolves them).
 */
import { defineConfig } from "tsdown";
import pkg from "./package.json" with { type: "json" };

const externals = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];

export default defineConfig({
  entry: {
    index: "src/index.ts",
    worker: "src/worker/exports.ts",
    spectrum: "src/spectrum.ts",
    "relay-protocol": "src/gateway/relay-schema.ts",
    extend: "src/extend.ts",
    "open-graph-scraper-stub": "src/gateway/open-graph-scraper-stub.ts",
  },
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
  sourcemap: true,
  clean: true,
  outDir: "dist",
  deps: {
    neverBundle: [/^cloudflare:/, /^node:/, ...externals.map((name) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(/.*)?$`))],
  },
  // Quiet `npm ci` / `npm pack`: the timings table, and the note that `spectrum` imports statically what
  // the gateway's spectrum-ts app loads lazily (both live in that one entry, so nothing is lost).
  checks: { bundlerTimings: false, ineffectiveDynamicImport: false },
});
