/**
 * @module adapter/inbound/history
 * A conversation's history and info from the iMessage server: one message, pages both ways (forward
 * pages oldest first over a server that pages newest first only: `GET /v1/messages:listByChat` with
 * `after`, `before`, `pageToken`), and the thread's name and participants.
 */
import { NotFoundError, type AdvancedIMessage, type Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import type { FetchOptions, FetchResult, Message, ThreadInfo } from "chat";
import { ValidationError } from "../../core/errors.ts";
import { dmAddress, isDmGuid } from "../../core/thread-id.ts";

/** Most server pages one forward page reads (100 messages each): a forward page covers 10,000 newer messages. */
const MAX_FORWARD_SCAN_PAGES = 100;

/** Orders server messages oldest first (ties by GUID, so the order is total). */
export function byDateCreated(a: ServerMessage, b: ServerMessage): number {
  const delta = byTimeOnly(a, b);
  return delta !== 0 ? delta : a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : 0;
}

/** Oldest first by creation time alone (ties keep their order: `sort` is stable). */
function byTimeOnly(a: ServerMessage, b: ServerMessage): number {
  return new Date(a.dateCreated).getTime() - new Date(b.dateCreated).getTime();
}

/** A forward cursor: the last message a page returned, as `f1:<epoch ms>:<guid>`. */
function encodeCursor(message: ServerMessage): string {
  return `f1:${new Date(message.dateCreated).getTime()}:${message.guid}`;
}

function decodeCursor(cursor: string): { at: number; guid: string } {
  const match = /^f1:(\d+):(.+)$/.exec(cursor);
  if (!match) throw new ValidationError(`fetchMessages: "${cursor.slice(0, 40)}" is not a forward cursor of this adapter (pass the nextCursor of a forward page)`);
  return { at: Number(match[1]), guid: match[2] as string };
}

/**
 * The `limit` oldest messages after `cursor` (from the start without one), oldest first, and the cursor
 * of the next page when more follow. The server lists newest first, so this reads the messages newer
 * than the cursor down to the oldest of them (at most {@link MAX_FORWARD_SCAN_PAGES} pages).
 *
 * @example
 * ```ts
 * let cursor: string | undefined;
 * do {
 *   const page = await forwardPage(client, "any;-;+15551234567", 50, cursor);
 *   for (const message of page.messages) console.log(message.guid);
 *   cursor = page.nextCursor;
 * } while (cursor);
 * ```
 */
export async function forwardPage(
  client: AdvancedIMessage,
  chatGuid: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ messages: ServerMessage[]; nextCursor: string | undefined }> {
  const from = cursor ? decodeCursor(cursor) : undefined;
  const newer: ServerMessage[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; pages < MAX_FORWARD_SCAN_PAGES; pages++) {
    const page = await client.messages.listInChat(chatGuid, {
      pageSize: 100,
      ...(pageToken ? { pageToken } : {}),
      // `after` is exclusive on the server; one millisecond earlier keeps messages sharing the cursor's time.
      ...(from ? { after: new Date(from.at - 1) } : {}),
    });
    newer.push(...page.messages);
    pageToken = page.nextPageToken;
    if (!pageToken) break;
  }
  const after = from
    ? newer.filter((m) => {
        const at = new Date(m.dateCreated).getTime();
        return at > from.at || (at === from.at && m.guid > from.guid);
      })
    : newer;
  const ordered = after.sort(byDateCreated);
  const messages = ordered.slice(0, limit);
  const last = messages[messages.length - 1];
  return { messages, nextCursor: ordered.length > limit && last ? encodeCursor(last) : undefined };
}

/** What history reads need of the adapter. */
export interface HistoryContext {
  target(threadId: string, operation: string): Promise<{ client: AdvancedIMessage; chatGuid: string }>;
  toMessage(message: ServerMessage, threadId: string): Message<ServerMessage>;
  /** A group's name as recorded from its messages (the server may have none). */
  spaceName(chatGuid: string): Promise<string | undefined>;
}

/** One message by id, or null when the server does not know it. */
export async function fetchMessage(context: HistoryContext, threadId: string, messageId: string): Promise<Message<ServerMessage> | null> {
  const { client } = await context.target(threadId, "fetchMessage");
  try {
    return context.toMessage(await client.messages.get(messageId), threadId);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * A page of history, oldest first within the page. Backward (default) starts at the newest messages
 * and `nextCursor` walks to older ones; forward (what `thread.allMessages` asks for) starts at the
 * oldest and walks to newer ones (see {@link forwardPage}).
 */
export async function fetchMessages(context: HistoryContext, threadId: string, options: FetchOptions = {}): Promise<FetchResult<ServerMessage>> {
  const { client, chatGuid } = await context.target(threadId, "fetchMessages");
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 100);
  const toMessage = (message: ServerMessage) => context.toMessage(message, threadId);
  if (options.direction === "forward") {
    const page = await forwardPage(client, chatGuid, limit, options.cursor);
    const messages = page.messages.map(toMessage);
    return page.nextCursor ? { messages, nextCursor: page.nextCursor } : { messages };
  }
  const page = await client.messages.listInChat(chatGuid, { pageSize: limit, ...(options.cursor ? { pageToken: options.cursor } : {}) });
  // The server pages newest first: reversed, then sorted by time only (a stable sort), so messages that
  // share a millisecond keep the server's order instead of their GUIDs' (a bot's quick sends often do).
  const messages = [...page.messages].reverse().sort(byTimeOnly).map(toMessage);
  return page.nextPageToken ? { messages, nextCursor: page.nextPageToken } : { messages };
}

/** The thread's name, kind and participants. */
export async function fetchThread(context: HistoryContext, threadId: string): Promise<ThreadInfo> {
  const { client, chatGuid } = await context.target(threadId, "fetchThread");
  const info = await client.chats.get(chatGuid);
  return {
    id: threadId,
    channelId: threadId,
    channelName: info.displayName || (isDmGuid(chatGuid) ? dmAddress(chatGuid) : await context.spaceName(chatGuid)),
    isDM: !info.isGroup,
    metadata: {
      chatGuid,
      service: info.service,
      participants: info.participants.map((p) => p.address),
      isArchived: info.isArchived,
      unreadCount: info.unreadCount,
    },
  };
}
