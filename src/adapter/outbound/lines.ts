/**
 * @module adapter/outbound/lines
 * The adapter's phone lines: one HTTP client per line (tokens cached in the Chat state), and for a
 * thread the client of its line and its chat GUID — groups must be known to the bot (seen inbound, or
 * found on the server), since iMessage bots cannot create them.
 */
import { NotFoundError, type AdvancedIMessage } from "@photon-ai/advanced-imessage/http";
import type { StateAdapter } from "chat";
import type { ResolvedConfig } from "../../core/config.ts";
import { notImplemented } from "../../core/errors.ts";
import { assertChatGuid, decodeThreadId, isDmGuid } from "../../core/thread-id.ts";
import type { SpaceDirectory } from "../../spaces/directory.ts";
import { createTransport, type Transport } from "../../transport/clients.ts";

const LOCAL_MODE =
  "local mode runs only in Node on macOS: use createiMessageAdapter from chat-adapter-imessage-bridge (the local-bridge package), or set IMESSAGE_LOCAL=false with cloud or self-host credentials";

/** Clients per line and thread targets, built lazily from the adapter's config and state. */
export class Lines {
  private transport: Transport | undefined;
  private readonly config: () => ResolvedConfig;
  private readonly state: () => StateAdapter | undefined;
  private readonly spaces: () => SpaceDirectory;

  constructor(config: () => ResolvedConfig, state: () => StateAdapter | undefined, spaces: () => SpaceDirectory) {
    this.config = config;
    this.state = state;
    this.spaces = spaces;
  }

  /** The HTTP transport of a remote mode, built once and shared with the gateway; undefined in local mode. */
  remoteTransport(): Transport | undefined {
    const config = this.config();
    if (config.mode === "local") return undefined;
    this.transport ??= createTransport(config, () => this.state());
    return this.transport;
  }

  /** The client of a line (`undefined`: the configured default line). */
  async client(phone: string | undefined, operation: string): Promise<AdvancedIMessage> {
    const transport = this.remoteTransport();
    if (!transport) notImplemented(operation, LOCAL_MODE);
    return await transport.clientFor(phone);
  }

  /** The client and chat GUID of a thread; an unknown group is looked up on the server once, else refused. */
  async target(threadId: string, operation: string): Promise<{ client: AdvancedIMessage; chatGuid: string }> {
    const { chatGuid, phone } = decodeThreadId(threadId);
    assertChatGuid(chatGuid);
    if (isDmGuid(chatGuid)) return { client: await this.client(phone, operation), chatGuid };
    const known = await this.spaces().lookup(chatGuid);
    const client = await this.client(phone ?? known?.phone, operation);
    if (!known) {
      try {
        const info = await client.chats.get(chatGuid);
        await this.spaces().record({ chatGuid, type: "group", phone, displayName: info.displayName || undefined });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        notImplemented(
          operation,
          `group ${chatGuid} has not been seen yet: iMessage bots cannot create groups. Add the bot's number to the group and send a message there (or let the gateway see it), then retry`,
        );
      }
    }
    return { client, chatGuid };
  }
}
