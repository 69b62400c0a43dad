// `npm test`: the type checks and the dependency rules run while better-sqlite3 builds for the bridge's
// tests (once per checkout; 1–2 min of one core, see local-bridge/scripts/ensure-native.mjs), then the
// fast test projects. Exits with the first failure's code.
import { spawn } from "node:child_process";
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
const [native, checks] = await Promise.all([
  run(process.execPath, ["local-bridge/scripts/ensure-native.mjs"]),
  inOrder([
    [npm, ["run", "--silent", "typecheck"]],
    [npm, ["run", "--silent", "lint:deps"]],
  ]),
]);
if (checks !== 0 || native !== 0) process.exit(checks || native);
process.exit(
  await run(npm, ["exec", "--", "vitest", "run", "--project", "workers", "--project", "harness", "--project", "harness-node", "--project", "local-bridge"]),
);
