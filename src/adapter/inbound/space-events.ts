/**
 * @module adapter/inbound/space-events
 * The conversation events that are not messages — members added or removed, a member leaving, a
 * rename, a new group photo, read receipts, typing, poll unvotes — as raw events a bot subscribes to
 * with `adapter.onEvent(handler)`.
 */
import type { Author } from "chat";
import type { SlimMessage } from "@spectrum-ts/core/webhook";

/** What every raw event carries. */
interface EventBase {
  /** Thread id of the conversation (`imessage:<chatGuid>[~<phone>]`). */
  threadId: string;
  chatGuid: string;
  /** Id of the envelope message that carried the event. */
  id: string;
  /** Who did it (the envelope's sender); undefined when iMessage recorded no actor. */
  user: Author | undefined;
  timestamp: Date;
  /** The envelope message as received. */
  raw: SlimMessage;
}

/**
 * A raw conversation event. `type` is the envelope's content type (the wire names of Spectrum's
 * webhook, `@spectrum-ts/core` 12.8), plus `pollUnvote` for a vote taken back on a poll of the bot's.
 *
 * - `addMember` / `removeMember`: `members` are addresses (phone numbers, emails). `addMember` also
 *   reaches the Chat SDK's `onMemberJoinedChannel`, once per member.
 * - `leaveSpace`: `user` left the group.
 * - `rename`: the group is now called `displayName` (also recorded for `fetchThread`).
 * - `avatar`: the group photo was set (`action: "set"`, bytes not delivered) or removed (`"clear"`).
 * - `read`: `user` read the bot's message `messageId`.
 * - `typing`: `user` started (`typing: true`) or stopped typing.
 * - `pollUnvote`: `user` took back their vote for `optionTitle` on the poll `pollId` (see `adapter/outbound/polls`).
 */
export type iMessageEvent =
  | (EventBase & { type: "addMember"; members: string[] })
  | (EventBase & { type: "removeMember"; members: string[] })
  | (EventBase & { type: "leaveSpace" })
  | (EventBase & { type: "rename"; displayName: string })
  | (EventBase & { type: "avatar"; action: "set" | "clear"; mimeType?: string })
  | (EventBase & { type: "read"; messageId: string })
  | (EventBase & { type: "typing"; typing: boolean })
  | (EventBase & {
      type: "pollUnvote";
      pollId: string | undefined;
      pollTitle: string;
      optionTitle: string;
      /** The modal the poll was opened from, when it was one of this bot's (its `callbackId`, `viewId`, Select id and the option's value). */
      modal: { callbackId: string; viewId: string; selectId: string; value: string } | undefined;
    });

/** A handler of raw events; a thrown error fails the delivery like any Chat handler's (it is retried). */
export type iMessageEventHandler = (event: iMessageEvent) => void | Promise<void>;

/** The content types that become raw events (see {@link iMessageEvent}). */
export const SPACE_EVENT_TYPES: ReadonlySet<string> = new Set(["addMember", "removeMember", "leaveSpace", "rename", "avatar", "read", "typing"]);

type Content = { type: string; [field: string]: unknown };

function members(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string" && entry !== "") : [];
}

/**
 * The raw event of a membership, rename, photo, read or typing envelope; undefined when the content
 * lacks what the event needs (no members, an empty name, a read without a target).
 *
 * @example
 * ```ts
 * const event = spaceEventOf({ threadId, chatGuid, id, user, timestamp, raw }, { type: "rename", displayName: "Team" });
 * // { type: "rename", displayName: "Team", threadId, … }
 * ```
 */
export function spaceEventOf(base: EventBase, content: Content): iMessageEvent | undefined {
  switch (content.type) {
    case "addMember":
    case "removeMember": {
      const list = members(content.members);
      return list.length > 0 ? { ...base, type: content.type, members: list } : undefined;
    }
    case "leaveSpace":
      return { ...base, type: "leaveSpace" };
    case "rename":
      return typeof content.displayName === "string" && content.displayName.trim() !== ""
        ? { ...base, type: "rename", displayName: content.displayName }
        : undefined;
    case "avatar": {
      const action = (content.action ?? {}) as { kind?: unknown; mimeType?: unknown };
      if (action.kind !== "set" && action.kind !== "clear") return undefined;
      return { ...base, type: "avatar", action: action.kind, ...(typeof action.mimeType === "string" ? { mimeType: action.mimeType } : {}) };
    }
    case "read": {
      const target = (content.target ?? {}) as { id?: unknown };
      return typeof target.id === "string" && target.id !== "" ? { ...base, type: "read", messageId: target.id } : undefined;
    }
    case "typing":
      return { ...base, type: "typing", typing: content.state !== "stop" };
    default:
      return undefined;
  }
}

/**
 * The subscribers of raw events.
 *
 * @example
 * ```ts
 * const stop = hub.on((event) => { if (event.type === "rename") console.log(event.displayName); });
 * await hub.emit(event);
 * stop();
 * ```
 */
export class iMessageEventHub {
  private readonly handlers = new Set<iMessageEventHandler>();

  /** Subscribes `handler`; returns the function that unsubscribes it. */
  on(handler: iMessageEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Runs every handler in subscription order; the first error stops the rest and is thrown. */
  async emit(event: iMessageEvent): Promise<void> {
    for (const handler of [...this.handlers]) await handler(event);
  }
}
