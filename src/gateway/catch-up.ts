/**
 * @module gateway/catch-up
 * What the HTTP API offers instead of a live stream: pages of `/v1/messages:listRecent` after a
 * persisted cursor, turned into slim Spectrum envelopes so they go through the same dedupe and
 * routing as webhooks.
 */
import type { AdvancedIMessage, Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { VerifiedDelivery } from "../webhook/receive.ts";
import { envelopeOf } from "../webhook/server-envelope.ts";

export { envelopeOf };

/**
 * Where a catch-up resumes: messages created after `after` (ms since epoch); `seen` holds the ids at
 * exactly that instant. `backlog` is set while a run could not read everything after `after` within
 * its page budget: the server pages newest first, so the next runs walk on backward from
 * `backlog.before` until they meet `after`, and only then move `after` up to `backlog.newest`.
 */
export interface CatchUpCursor {
  after: number;
  seen: string[];
  backlog?: { before: number; newest: number; newestSeen: string[] };
}

/** Page budget of one catch-up run. */
export interface CatchUpBudget {
  maxPages: number;
  pageSize: number;
}

/** The webhook id recorded with catch-up deliveries, for tracing (the ledger key is the message id: `deliveryKeyOf`). */
export const CATCH_UP_DELIVERY_ID = "catch-up";

/** One run reads at most 10 pages of 100 messages; more waits for the next run (see {@link CatchUpCursor}). */
const DEFAULT_BUDGET: CatchUpBudget = { maxPages: 10, pageSize: 100 };

/** A catch-up delivery for {@link envelopeOf}'s envelope. */
export function catchUpDelivery(envelope: SlimEnvelope): VerifiedDelivery {
  return { envelope, messageId: envelope.message.id, webhookId: CATCH_UP_DELIVERY_ID, scheme: "spectrum", channel: "catch-up" };
}

/**
 * Reads the messages created after the cursor (oldest first; at most `budget` pages per call) and
 * returns them with the cursor to persist once they are handed on. A cursor never moves past a
 * message it has not returned: when the budget runs out, the rest is read by the next calls.
 *
 * @example
 * ```ts
 * const { messages, cursor } = await readSince(client, stored ?? startCursor());
 * ```
 */
export async function readSince(
  client: AdvancedIMessage,
  cursor: CatchUpCursor,
  budget: CatchUpBudget = DEFAULT_BUDGET,
): Promise<{ messages: ServerMessage[]; cursor: CatchUpCursor }> {
  const found: ServerMessage[] = [];
  let pageToken: string | undefined;
  const before = cursor.backlog ? new Date(cursor.backlog.before + 1) : undefined;
  for (let page = 0; page < budget.maxPages; page++) {
    const result = await client.messages.listRecent({
      after: new Date(cursor.after - 1),
      ...(before ? { before } : {}),
      pageSize: budget.pageSize,
      pageToken,
    });
    found.push(...result.messages);
    pageToken = result.nextPageToken;
    if (!pageToken) break;
  }
  const seen = new Set(cursor.seen);
  const fresh = found
    .filter((m) => new Date(m.dateCreated).getTime() >= cursor.after && !seen.has(m.guid))
    .sort((a, b) => new Date(a.dateCreated).getTime() - new Date(b.dateCreated).getTime());
  const newest = advance({ after: cursor.backlog?.newest ?? cursor.after, seen: cursor.backlog?.newestSeen ?? cursor.seen }, fresh);
  if (pageToken && fresh.length > 0) {
    // Budget spent with older messages left: keep `after`, walk on backward from the oldest read.
    const oldest = new Date((fresh[0] as ServerMessage).dateCreated).getTime();
    return { messages: fresh, cursor: { after: cursor.after, seen: cursor.seen, backlog: { before: oldest, newest: newest.after, newestSeen: newest.seen } } };
  }
  return { messages: fresh, cursor: { after: newest.after, seen: newest.seen } };
}

function advance(cursor: { after: number; seen: string[] }, messages: ServerMessage[]): { after: number; seen: string[] } {
  let { after, seen } = cursor;
  for (const message of messages) {
    const at = new Date(message.dateCreated).getTime();
    if (at > after) {
      after = at;
      seen = [];
    }
    if (at === after) seen = [...seen, message.guid];
  }
  return { after, seen };
}

/** A cursor starting now: a first catch-up does not replay history. */
export function startCursor(now = Date.now()): CatchUpCursor {
  return { after: now, seen: [] };
}
