/**
 * @module e2e/strict-consumer
 * The published types as a strict user meets them: the tarball of plain `npm pack` (dist, README,
 * LICENSE, package.json: no sources, tests or demo) installed into a Worker project outside the
 * repository, whose only code is the README's "Your own Worker" snippets verbatim: the first beside an
 * `Env` declared in the Worker file, as the create-cloudflare template writes it (untyped
 * `DurableObjectNamespace` bindings), the Chat SDK-shaped one beside the global `Env` of `wrangler types`. `tsc --noEmit` under `strict`, `exactOptionalPropertyTypes` and
 * `noPropertyAccessFromIndexSignature` reports nothing, and spectrum-ts, an optional peer, is not installed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { linkWorkersTypes, must, npmPack, ROOT, run, TARBALL, tempProject, timed, TSC } from "./packed-package.ts";

/** The ```ts blocks of the README's "Your own Worker" section: `createiMessageWorker`'s shape, then the Chat SDK's own. */
function readmeSnippets(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = /^## Your own Worker\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
  const snippets = [...section.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => match[1] ?? "");
  if (snippets.length < 2) throw new Error('README.md has fewer than two ```ts blocks under "## Your own Worker"');
  return snippets;
}

/** The global `Env` that `npx wrangler types` writes, for the snippet that reads `env` from `cloudflare:workers`. */
const GLOBAL_ENV = `declare namespace Cloudflare {
  interface Env {
    CHAT_STATE: DurableObjectNamespace;
  }
}
interface Env extends Cloudflare.Env {}
`;

/** The bindings of the README's wrangler.toml, declared in the module (not the global `Env` of `wrangler types`). */
const ENV = `
interface Env {
  IMESSAGE_PROJECT_ID: string;
  IMESSAGE_PROJECT_SECRET: string;
  IMESSAGE_WEBHOOK_SECRET: string;
  CRON_SECRET: string;
  DELIVERY_LEDGER: DurableObjectNamespace;
  GATEWAY: DurableObjectNamespace;
  CHAT_STATE: DurableObjectNamespace;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    lib: ["es2022"],
    module: "es2022",
    moduleResolution: "bundler",
    types: ["@cloudflare/workers-types"],
    strict: true,
    exactOptionalPropertyTypes: true,
    noPropertyAccessFromIndexSignature: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    isolatedModules: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ["src"],
};

test("the packed package installs outside the repository and the README's Workers type-check under a strict tsconfig", { timeout: 300_000 }, async () => {
  const dir = tempProject("imessage-consumer-");
  try {
    const tarball = await npmPack(dir);
    const files = (await must("tar", ["-tzf", tarball], dir)).split("\n").filter(Boolean);
    expect(files.filter((file) => !/^package\/(dist\/[^/]+\.(js|d\.ts|js\.map)|README\.md|LICENSE|package\.json)$/.test(file))).toEqual([]);
    expect(files).toContain("package/dist/worker.d.ts");
    // Nothing runs when users install it (npm warns about a package with install-time scripts).
    const packed = JSON.parse(await must("tar", ["-xzOf", tarball, "package/package.json"], dir)) as { scripts?: Record<string, string> };
    expect(Object.keys(packed.scripts ?? {}).filter((name) => /^(preinstall|install|postinstall|prepare)$/.test(name))).toEqual([]);

    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify({ name: "strict-consumer", private: true, type: "module", dependencies: { chat: "4.41.0", "chat-adapter-imessage": `file:${TARBALL}` } }, null, 2)}\n`,
    );
    await timed("strict consumer: npm install", () => must("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], dir));
    linkWorkersTypes(dir);
    expect(existsSync(join(dir, "node_modules", "chat-adapter-imessage", "dist", "index.js"))).toBe(true);
    expect(existsSync(join(dir, "node_modules", "spectrum-ts")), "spectrum-ts is an optional peer").toBe(false);

    writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    mkdirSync(join(dir, "src"));
    const [own, sdkShape] = readmeSnippets();
    writeFileSync(join(dir, "src", "index.ts"), `${own}${ENV}`);
    mkdirSync(join(dir, "src", "sdk-shape"));
    writeFileSync(join(dir, "src", "sdk-shape", "index.ts"), sdkShape ?? "");
    writeFileSync(join(dir, "src", "sdk-shape", "worker-configuration.d.ts"), GLOBAL_ENV);
    const tsc = await timed("strict consumer: tsc --noEmit", () => run(process.execPath, [TSC, "--noEmit", "-p", dir], dir));
    expect(tsc.output.trim()).toBe("");
    expect(tsc.ok).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
