// `npm test`: the type checks, the dependency rules, then every fast project in one vitest run. On a
// fresh clone better-sqlite3 is built for the bridge's tests first (1–2 min of one core, see
// local-bridge/scripts/ensure-native.mjs): meanwhile the checks and the workerd and harness projects
// run, and the bridge's project runs after. Exits non-zero when any step failed.
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";

/** Runs a command with this process's output; resolves to its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("error", (error) => {
      console.error(`${command}: ${error.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function inOrder(steps) {
  for (const [command, args] of steps) {
    const code = await run(command, args);
    if (code !== 0) return code;
  }
  return 0;
}

console.log(`node ${process.version}`);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const vitest = (...projects) => run(npm, ["exec", "--", "vitest", "run", ...projects.flatMap((project) => ["--project", project])]);
// Only the bridge's tests need the addon. Built already: one run of every project. Not yet (a fresh
// clone): it builds while everything else is checked and tested, then the bridge's project runs.
const probe = spawnSync(process.execPath, ["-e", 'const D = require("better-sqlite3"); new D(":memory:").close();'], { cwd: "local-bridge", stdio: "ignore" });
const native = probe.status === 0 ? Promise.resolve(0) : run(process.execPath, ["local-bridge/scripts/ensure-native.mjs"]);
const checks = await inOrder([
  [npm, ["run", "--silent", "typecheck"]],
  [npm, ["run", "--silent", "lint:deps"]],
]);
if (checks !== 0) {
  await native;
  process.exit(checks);
}
if (probe.status === 0) process.exit(await vitest("workers", "harness", "harness-node", "local-bridge"));
const fast = await vitest("workers", "harness", "harness-node");
const built = await native;
if (built !== 0) process.exit(built);
const bridge = await vitest("local-bridge");
process.exit(fast || bridge);
