/**
 * @module worker/line-logger
 * A Chat SDK `Logger` that writes one line per event: errors as `Name: message` (their stacks only at
 * debug level), objects as compact JSON. Under `wrangler dev` every logged stack is source-mapped by
 * wrangler's own process; a storm of failing sends logged with full stacks starved it (and the
 * outbound calls it proxies), so the demo logs this way.
 */
import type { Logger } from "chat";

/** Log levels, most verbose first. */
export type LineLogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LineLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

function describe(value: unknown, withStack: boolean): unknown {
  if (value instanceof Error) {
    const cause = value.cause instanceof Error ? ` (cause: ${value.cause.name}: ${value.cause.message})` : "";
    return withStack && value.stack ? value.stack : `${value.name}: ${value.message}${cause}`;
  }
  return value;
}

function render(args: unknown[], withStack: boolean): string {
  return args
    .map((arg) => {
      if (typeof arg === "string") return arg;
      const text = JSON.stringify(arg, (_key, value: unknown) => describe(value, withStack));
      return text && text.length > 600 ? `${text.slice(0, 600)}…` : text;
    })
    .join(" ");
}

/**
 * A one-line-per-event logger at `level` (default `info`).
 *
 * @example
 * ```ts
 * const bot = new Chat({ userName: "bot", adapters: { imessage }, state, logger: createLineLogger("info") });
 * ```
 */
export function createLineLogger(level: LineLogLevel = "info", prefix = "chat-sdk"): Logger {
  const at = ORDER[level];
  const write = (threshold: number, sink: (line: string) => void, message: string, args: unknown[]) => {
    if (threshold < at) return;
    sink(`[${prefix}] ${message}${args.length ? ` ${render(args, at === ORDER.debug)}` : ""}`);
  };
  return {
    child: (name) => createLineLogger(level, `${prefix}:${name}`),
    debug: (message, ...args) => write(ORDER.debug, console.debug, message, args),
    info: (message, ...args) => write(ORDER.info, console.info, message, args),
    warn: (message, ...args) => write(ORDER.warn, console.warn, message, args),
    error: (message, ...args) => write(ORDER.error, console.error, message, args),
  };
}
