/**
 * @module adapter/create-core
 * The adapter from options and environment alone (no Worker bindings looked up): what the Node
 * packages (the local bridge's remote mode) build on. Workers use `createiMessageAdapter`.
 */
import { MISSING_CREDENTIALS, resolveConfig, type iMessageAdapterOptions } from "../core/config.ts";
import { ValidationError } from "../core/errors.ts";
import type { AdapterDependencies } from "./dependencies.ts";
import { iMessageAdapter } from "./imessage-adapter.ts";

/**
 * Creates the iMessage adapter of a remote mode from options and `env` variables only; the ledger
 * is in process memory unless `ledger` is given.
 *
 * @throws ValidationError in local mode (use the local-bridge package on a Mac) or on invalid options.
 * @example
 * ```ts
 * const imessage = createRemoteiMessageAdapter({ serverUrl: "127.0.0.1:8080", apiKey, ledger: createMemoryLedger() });
 * ```
 */
export function createRemoteiMessageAdapter(options: iMessageAdapterOptions & AdapterDependencies = {}): iMessageAdapter {
  const { ledger, spaces, findDurableParts, ...rest } = options;
  const config = resolveConfig(rest);
  if (config.mode === "local") {
    throw new ValidationError(
      `local mode reads the macOS Messages database and runs only in Node on a Mac: import createiMessageAdapter from "chat-adapter-imessage-bridge" (the local-bridge package) there. Everywhere else (Cloudflare Workers included): ${MISSING_CREDENTIALS}, and set IMESSAGE_LOCAL=false`,
    );
  }
  return new iMessageAdapter(config, { ledger, spaces, ...(findDurableParts ? { findDurableParts } : {}) });
}
