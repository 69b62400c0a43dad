/**
 * @module adapter/create
 * `createiMessageAdapter`: options and environment in, a Chat SDK adapter out.
 */
import { MISSING_CREDENTIALS, resolveConfig, type iMessageAdapterOptions } from "./config.ts";
import { ValidationError } from "./errors.ts";
import { iMessageAdapter, type AdapterDependencies } from "./imessage-adapter.ts";

/**
 * Creates the iMessage adapter. On Workers pass `env` (the Worker binding) so secrets are found.
 *
 * @example
 * ```ts
 * const bot = new Chat({ userName: "bot", adapters: { imessage: createiMessageAdapter({ env }) }, state });
 * ```
 */
export function createiMessageAdapter(options: iMessageAdapterOptions & AdapterDependencies = {}): iMessageAdapter {
  const { ledger, spaces, ...rest } = options;
  const config = resolveConfig(rest);
  if (config.mode === "local") {
    throw new ValidationError(
      `local mode reads the macOS Messages database and runs only in Node on a Mac: import createiMessageAdapter from "chat-adapter-imessage-bridge" (the local-bridge package) there. Everywhere else (Cloudflare Workers included): ${MISSING_CREDENTIALS}, and set IMESSAGE_LOCAL=false`,
    );
  }
  return new iMessageAdapter(config, { ledger, spaces });
}
