/**
 * @module reliability/stress-lite
 * `npm run stress` at CI size, part of `npm run test:slow`: the same script (every send fault of the
 * simulator at once, 30% exact duplicates, one SIGKILL + restart of wrangler dev at 40% of the
 * deliveries) with 300 messages, two per conversation, instead of 10,000. It runs in its own process
 * (its own simulator and wrangler dev on free ports); its output is shown only when it fails.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../scripts/stress.mjs", import.meta.url));
/** Messages, messages per conversation, deliveries in flight. */
const ARGS = ["--count", "300", "--per-chat", "2", "--concurrency", "16"];
const TIMEOUT_MS = 240_000;

it(`npm run stress -- ${ARGS.join(" ")}: 0 lost, 0 doubled`, { timeout: TIMEOUT_MS + 15_000 }, async (ctx) => {
  let output = "";
  ctx.onTestFailed(() => console.error(output || "(npm run stress printed nothing)"));
  const code = await new Promise<number | null>((resolve) => {
    // On timeout execFile sends SIGTERM: the script prints its counts so far and stops its wrangler dev.
    const child = execFile(process.execPath, [SCRIPT, ...ARGS], { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error) =>
      resolve(error ? (typeof error.code === "number" ? error.code : null) : 0),
    );
    for (const stream of [child.stdout, child.stderr]) stream?.on("data", (chunk: Buffer | string) => (output += String(chunk)));
  });
  const counts = /^stress(?: \(interrupted[^)]*\))?: sent .*$/m.exec(output)?.[0];
  expect(code, counts ?? "npm run stress printed no counts").toBe(0);
  expect(counts).toMatch(/ lost 0 \/ doubled 0 /);
});
