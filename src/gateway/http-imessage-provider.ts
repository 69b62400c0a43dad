/**
 * @module gateway/http-imessage-provider
 * iMessage for spectrum-ts on workerd. The official provider (`spectrum-ts/providers/imessage`) opens
 * gRPC clients, which Workers cannot run; this one is built with spectrum-ts's `definePlatform` and
 * sends over the advanced-imessage HTTP transport, while its inbound stream is a {@link RecordInbox}
 * the gateway pushes webhook, relay and catch-up envelopes into.
 */
import type { AdvancedIMessage, Message as ServerMessage, SettableMessageReaction } from "@photon-ai/advanced-imessage/http";
import { definePlatform, UnsupportedError, type Content } from "spectrum-ts";
import type { ProviderMessageRecord } from "spectrum-ts/authoring";
import { z } from "zod";
import { canonicalChatGuid } from "../core/addresses.ts";
import { tapbackFor } from "../core/tapbacks.ts";
import { isGroupGuid } from "../core/thread-id.ts";
import type { Transport } from "../transport/clients.ts";
import type { IMessageSpaceRef } from "./spectrum-source.ts";
import { RecordInbox } from "./spectrum-inbox.ts";

/** The platform name: spaces and messages of this provider say `platform: "imessage"`. */
export const IMESSAGE_PLATFORM = "imessage";

const WHAT_IT_SENDS = "the HTTP iMessage provider sends text, text replies, reactions, typing and read receipts";

const spaceSchema = z.object({ id: z.string(), type: z.enum(["dm", "group"]), phone: z.string().optional() });
const spaceParamsSchema = z.object({ phone: z.string().optional() });
const configSchema = z.object({
  /** The project's HTTP transport; absent in local mode, where a relay sends instead. */
  transport: z.custom<Transport>().optional(),
  inbox: z.custom<RecordInbox>((value) => value instanceof RecordInbox, "inbox must be a RecordInbox"),
  /** The phone line a known chat was seen on (the gateway's space cache). */
  phoneOf: z.custom<(chatGuid: string) => string | undefined>((value) => typeof value === "function").optional(),
});

/** What `createClient` hands to every callback. */
interface HttpIMessageClient {
  transport: Transport | undefined;
  inbox: RecordInbox;
  phoneOf: (chatGuid: string) => string | undefined;
}

async function lineFor(client: HttpIMessageClient, space: IMessageSpaceRef): Promise<AdvancedIMessage> {
  if (!client.transport) {
    throw UnsupportedError.action("send", IMESSAGE_PLATFORM, "local mode has no HTTP transport: the relay sends (GatewayDO.sendViaRelay)");
  }
  return await client.transport.clientFor(space.phone);
}

function reactionOf(emoji: string): SettableMessageReaction {
  try {
    return { kind: tapbackFor(emoji) };
  } catch {
    return { kind: "emoji", emoji };
  }
}

function sent(message: ServerMessage, space: IMessageSpaceRef, content: Content): ProviderMessageRecord {
  return { id: message.guid, content, space, direction: "outbound", timestamp: new Date(message.dateCreated) };
}

async function send(client: HttpIMessageClient, space: IMessageSpaceRef, content: Content): Promise<ProviderMessageRecord | undefined> {
  const line = await lineFor(client, space);
  switch (content.type) {
    case "text":
      return sent(await line.messages.sendText(space.id, content.text), space, content);
    case "reply":
      if (content.content.type !== "text") throw UnsupportedError.content(`reply with ${content.content.type}`, IMESSAGE_PLATFORM, WHAT_IT_SENDS);
      return sent(await line.messages.sendText(space.id, content.content.text, { replyTo: content.target.id }), space, content);
    case "reaction":
      return sent(await line.messages.setReaction(space.id, content.target.id, reactionOf(content.emoji), true), space, content);
    case "typing":
      await line.chats.setTyping(space.id, content.state === "start");
      return undefined;
    case "read":
      await line.chats.markRead(space.id);
      return undefined;
    default:
      throw UnsupportedError.content(content.type, IMESSAGE_PLATFORM, WHAT_IT_SENDS);
  }
}

/**
 * The provider. Configure it with the gateway's transport and inbox.
 *
 * @example
 * ```ts
 * const inbox = new RecordInbox();
 * const app = await Spectrum({ projectId, projectSecret, providers: [httpIMessage.config({ transport, inbox })] });
 * const space = await httpIMessage(app).space.get("any;+;chat123");
 * await space.send("hello");
 * ```
 */
export const httpIMessage = definePlatform(IMESSAGE_PLATFORM, {
  config: configSchema,
  lifecycle: {
    createClient: async ({ config }): Promise<HttpIMessageClient> => ({
      transport: config.transport,
      inbox: config.inbox,
      phoneOf: config.phoneOf ?? (() => undefined),
    }),
    destroyClient: async ({ client }) => client.inbox.close(),
  },
  user: {
    resolve: async ({ input }) => ({ id: input.userID }),
  },
  space: {
    schema: spaceSchema,
    params: spaceParamsSchema,
    create: async ({ input }) => {
      const [user, ...others] = input.users;
      if (!user || others.length > 0) {
        throw UnsupportedError.action("space.create", IMESSAGE_PLATFORM, "the HTTP provider opens DMs with one user; address an existing group with space.get(chatGuid)");
      }
      return { id: canonicalChatGuid(`any;-;${user.id}`), type: "dm" as const, ...(input.params?.phone ? { phone: input.params.phone } : {}) };
    },
    get: async ({ input, client }) => {
      const phone = input.params?.phone ?? client.phoneOf(input.id);
      return { id: canonicalChatGuid(input.id), type: isGroupGuid(input.id) ? ("group" as const) : ("dm" as const), ...(phone ? { phone } : {}) };
    },
  },
  messages: ({ client }) => client.inbox.subscribe(),
  send: async ({ space, content, client }) => await send(client, space, content),
});
