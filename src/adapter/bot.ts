/**
 * @module adapter/bot
 * The bot a Worker, its ledger and its gateway share: a Chat SDK instance with the iMessage adapter.
 */
import type { Chat } from "chat";
import type { iMessageAdapter } from "./imessage-adapter.ts";

/** The bot a gateway routes into: the same Chat instance (and adapter) the Worker's webhook uses. */
export type GatewayBot = Chat<{ imessage: iMessageAdapter }>;

/** The adapter of a bot, initialized (the Chat SDK initializes adapters lazily on the first webhook). */
export async function readyAdapter(bot: GatewayBot): Promise<iMessageAdapter> {
  await bot.initialize();
  return bot.getAdapter("imessage");
}
