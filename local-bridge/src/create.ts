/**
 * @module local-bridge/create
 * `createiMessageAdapter` for Node: local macOS mode by default, the Worker adapter for cloud and self-host.
 */
import { readEnv, resolveConfig, type iMessageAdapterOptions, createRemoteiMessageAdapter as createRemoteAdapter, type AdapterDependencies, type iMessageAdapter } from "chat-adapter-imessage/extend";
import { LocalIMessageAdapter, type LocalModeOptions } from "./adapter.ts";

export type NodeAdapterOptions = iMessageAdapterOptions & LocalModeOptions & AdapterDependencies;

/**
 * Creates the iMessage adapter in Node. With no remote credentials (or `local: true`) it runs in local
 * mode on this Mac's Messages database; with cloud or self-host settings it is the Worker adapter.
 *
 * @example
 * ```ts
 * import { Chat } from "chat";
 * import { createMemoryState } from "@chat-adapter/state-memory";
 * import { createiMessageAdapter } from "chat-adapter-imessage-bridge";
 *
 * const bot = new Chat({ userName: "bot", adapters: { imessage: createiMessageAdapter({ local: true }) }, state: createMemoryState() });
 * bot.onDirectMessage(async (thread, message) => thread.post(`You said: ${message.text}`));
 * await bot.initialize();
 * ```
 */
export function createiMessageAdapter(options: NodeAdapterOptions & { local: true }): LocalIMessageAdapter;
export function createiMessageAdapter(options?: NodeAdapterOptions): LocalIMessageAdapter | iMessageAdapter;
export function createiMessageAdapter(options: NodeAdapterOptions = {}): LocalIMessageAdapter | iMessageAdapter {
  const config = resolveConfig(options);
  if (config.mode !== "local") return createRemoteAdapter(options);
  return new LocalIMessageAdapter(config, options, readEnv(options.env));
}
