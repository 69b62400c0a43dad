/**
 * @module e2e/example-template
 * `examples/worker` imports the package exactly as a user would; this typechecks it with
 * `chat-adapter-imessage` resolved through the root package.json's `exports`, so a renamed or
 * missing export breaks the build here rather than in a user's project.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = join(ROOT, "examples", "worker");

interface PackageJson {
  name: string;
  exports: Record<string, { types: string }>;
}

test("examples/worker typechecks against the package's exports", async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
  const paths = Object.fromEntries(
    Object.entries(pkg.exports).map(([subpath, target]) => [pkg.name + subpath.slice(1), [join(ROOT, target.types)]]),
  );
  expect(Object.keys(paths)).toEqual(expect.arrayContaining(["chat-adapter-imessage", "chat-adapter-imessage/worker"]));

  const dir = mkdtempSync(join(tmpdir(), "imessage-example-"));
  try {
    const config = join(dir, "tsconfig.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(EXAMPLE, "tsconfig.json"),
        // The example's own node_modules would hold these; here they come from the root's.
        compilerOptions: { paths, types: [join(ROOT, "node_modules", "@cloudflare", "workers-types")] },
        include: [join(EXAMPLE, "src"), join(EXAMPLE, "worker-configuration.d.ts")],
      }),
    );
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", config], { cwd: EXAMPLE }).then(
      () => ({ ok: true, output: "" }),
      (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ""}${error.stderr ?? ""}` }),
    );
    expect(run.output).toBe("");
    expect(run.ok).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
