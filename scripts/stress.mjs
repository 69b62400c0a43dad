// `npm run stress`: 10,000 messages, 30% duplicates, every send fault at once, one SIGKILL + restart of
// wrangler dev mid-storm → sent / unique / accepted / handled / delivered / lost / doubled.
// Options: --count N, --per-chat N, --concurrency N, --no-kill, --quiet-faults. See test/reliability/README.md.
import process from "node:process";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`npm run stress needs Node >= 22.18 (wrangler needs 22, and the harness is TypeScript run by Node); this is ${process.version}. Run it through npm.`);
  process.exit(1);
}
await import("../test/reliability/stress.ts");
