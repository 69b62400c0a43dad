/**
 * @module adapter/history
 * Paging a conversation's history oldest first over a server that pages newest first only
 * (`GET /v1/messages:listByChat` with `after`, `before`, `pageToken`).
 */
import type { AdvancedIMessage, Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import { ValidationError } from "../core/errors.ts";

/** Most server pages one forward page reads (100 messages each): a forward page covers 10,000 newer messages. */
const MAX_FORWARD_SCAN_PAGES = 100;

/** Orders server messages oldest first (ties by GUID, so the order is total). */
export function byDateCreated(a: ServerMessage, b: ServerMessage): number {
  const delta = new Date(a.dateCreated).getTime() - new Date(b.dateCreated).getTime();
  return delta !== 0 ? delta : a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : 0;
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
