/**
 * @module local-bridge/osascript
 * Runs AppleScript with `osascript`, behind an injectable runner so tests record scripts instead.
 */
import { execFile } from "node:child_process";
import { notMacOSError, osascriptError } from "./errors.ts";

/** What osascript printed. */
export interface OsascriptOutput {
  stdout: string;
  stderr: string;
}

/** Runs one AppleScript; rejects with the script's error text when it fails. */
export type OsascriptRunner = (script: string) => Promise<OsascriptOutput>;

export interface OsascriptRunnerOptions {
  /** Executable to run (default `osascript`). */
  command?: string;
  /** Platform to check against (default `process.platform`); only macOS has Messages. */
  platform?: string;
  /** Kill the script after this many ms (default 30000). */
  timeoutMs?: number;
}

/**
 * The default runner: `osascript -` with the script on stdin (no argument-length limit, nothing in `ps`).
 *
 * @example
 * ```ts
 * const run = createOsascriptRunner();
 * await run('tell application "Messages" to get name');
 * ```
 */
export function createOsascriptRunner(options: OsascriptRunnerOptions = {}): OsascriptRunner {
  const command = options.command ?? "osascript";
  const platform = options.platform ?? process.platform;
  const timeout = options.timeoutMs ?? 30_000;
  return (script) => {
    if (platform !== "darwin") return Promise.reject(notMacOSError("send messages with osascript", platform));
    return new Promise((resolve, reject) => {
      const child = execFile(command, ["-"], { timeout, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? child.exitCode;
          reject(osascriptError(String(stderr) || error.message, code ?? null, error));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      });
      child.stdin?.on("error", () => {
        // The child may exit before reading stdin; its exit status reports the failure.
      });
      child.stdin?.end(script);
    });
  };
}
