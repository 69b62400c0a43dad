/**
 * @module test/quiet-runtime
 * Global setup (vitest's main process) that keeps a green run quiet about network failures the tests
 * cause on purpose. When the simulator drops a connection (fault `drop`) or a test calls a closed
 * port, workerd reports it as a runtime log line (`exception = … disconnected: Connection refused`,
 * `uncaught exception; … Network connection lost.`), and the Workers vitest pool writes those
 * straight to the terminal, outside any test, so they cannot be captured per test. The tests assert
 * the outcome (a `ConnectionError`, a retry, a 200 after redelivery); these exact lines are dropped.
 * So is Vite's "Sourcemap for … points to missing source files" about a file in `node_modules`
 * (`@workflow/serde`, pulled in by `chat`, ships maps without sources; printed on a cold cache):
 * vitest replaces a configured `customLogger` with its own, so it cannot be filtered there.
 * Anything else workerd or Vite prints still shows.
 */

/** The runtime lines that only report connections a test broke on purpose. */
export const EXPECTED_RUNTIME_LINES: readonly RegExp[] = [
  /disconnected: Connection refused \(os error 111\)/,
  /disconnected: client error \(SendRequest\)/,
  /Error: Network connection lost\./,
];

/** Vite's warning about a dependency's source map whose sources are not in the package. */
const DEPENDENCY_SOURCEMAP = /^Sourcemap for "[^"]*\/node_modules\/[^"]*" points to missing source files\s*$/;

const RUNTIME_REPORT = /^(uncaught exception; |exception = )/;
const RUNTIME_STACK = /^stack: \S*workerd@/;

/**
 * True when a chunk written to the terminal is one of {@link EXPECTED_RUNTIME_LINES} (or the workerd
 * stack line that follows one, when `afterDropped`), or Vite's warning about a dependency's source map.
 *
 * @example
 * isExpectedRuntimeLine("exception = rust/worker/ffi.rs:110: disconnected: Connection refused (os error 111)\n", false); // true
 */
export function isExpectedRuntimeLine(text: string, afterDropped: boolean): boolean {
  if (afterDropped && RUNTIME_STACK.test(text)) return true;
  if (DEPENDENCY_SOURCEMAP.test(text)) return true;
  return RUNTIME_REPORT.test(text) && EXPECTED_RUNTIME_LINES.some((pattern) => pattern.test(text));
}

type Write = typeof process.stdout.write;

function filtered(original: Write): Write {
  let dropped = false;
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (isExpectedRuntimeLine(text, dropped)) {
      dropped = !/\nstack: /.test(text);
      return true;
    }
    dropped = false;
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;
}

const INSTALLED = Symbol.for("chat-adapter-imessage.test.quiet-runtime");
const holder = globalThis as { [INSTALLED]?: { users: number; restore: () => void } };

/**
 * Installs the filter on stdout and stderr for the run; returns the teardown that removes it. Both
 * workerd projects list this file: the filter is installed once and removed after the last teardown.
 */
export default function setup(): () => void {
  if (!holder[INSTALLED]) {
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    process.stdout.write = filtered(stdout.bind(process.stdout));
    process.stderr.write = filtered(stderr.bind(process.stderr));
    holder[INSTALLED] = {
      users: 0,
      restore: () => {
        process.stdout.write = stdout;
        process.stderr.write = stderr;
      },
    };
  }
  const installed = holder[INSTALLED];
  installed.users++;
  return () => {
    if (--installed.users > 0) return;
    delete holder[INSTALLED];
    installed.restore();
  };
}
