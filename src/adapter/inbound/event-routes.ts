/**
 * @module adapter/inbound/event-routes
 * Where inbound events other than messages and reactions go: poll votes to `onModalSubmit` (unvotes
 * to the raw events), edits to `onMessageUpdated`, unsends to `onMessageDeleted`, added members to
 * `onMemberJoinedChannel`, and every conversation event to `adapter.onEvent` subscribers.
 */
import type { Adapter, ChatInstance, Logger, Message, WebhookOptions } from "chat";
import type { InboundEvent } from "./parse.ts";
import { resolveVote } from "../outbound/polls.ts";
import type { iMessageEventHub } from "./space-events.ts";

/** What routing needs from the adapter. */
export interface EventRouteContext {
  adapter: Adapter;
  chat: ChatInstance;
  events: iMessageEventHub;
  logger: Logger;
  /** A modal context id whose thread is `threadId` (the original one while it lasts). */
  modalContext(contextId: string | undefined, threadId: string): Promise<string>;
  /** The title of a poll option, read from the iMessage server (for options added after the poll was opened). */
  optionTitle(threadId: string, pollId: string, optionId: string): Promise<string | undefined>;
}

type VoteEvent = Extract<InboundEvent, { kind: "poll-vote" }>;
type LifecycleEvent = Extract<InboundEvent, { kind: "edit" | "unsend" | "space-event" }>;

/**
 * A vote on one of the bot's polls runs `onModalSubmit` with the option's value; an unvote
 * (`selected: false`) is reported as a `pollUnvote` raw event (with the modal when the poll is the
 * bot's); a vote on another poll is logged and skipped.
 *
 * @example
 * ```ts
 * if (event.kind === "poll-vote") await routeVote(context, event, options);
 * ```
 */
export async function routeVote(context: EventRouteContext, event: VoteEvent, options: WebhookOptions): Promise<void> {
  const { chat } = context;
  const vote = await resolveVote(chat.getState(), event, (pollId, optionId) => context.optionTitle(event.threadId, pollId, optionId));
  if (!event.selected) {
    await context.events.emit({
      type: "pollUnvote",
      threadId: event.threadId,
      chatGuid: event.chatGuid,
      id: event.messageId,
      user: event.user,
      timestamp: validDate(event.raw.timestamp),
      raw: event.raw,
      pollId: vote?.binding.viewId ?? event.pollId,
      pollTitle: vote?.binding.title ?? event.pollTitle,
      optionTitle: vote?.label ?? event.optionTitle,
      modal: vote
        ? { callbackId: vote.binding.callbackId, viewId: vote.binding.viewId, selectId: vote.binding.selectId, value: vote.value }
        : undefined,
    });
    return;
  }
  if (!vote) {
    context.logger.info(`Vote on a poll this bot did not open ("${event.pollTitle || event.pollId}"), skipped`);
    return;
  }
  await chat.processModalSubmit(
    {
      adapter: context.adapter,
      callbackId: vote.binding.callbackId,
      viewId: vote.binding.viewId,
      values: { [vote.binding.selectId]: vote.value },
      privateMetadata: vote.binding.privateMetadata,
      user: event.user,
      raw: event.raw,
    },
    await context.modalContext(vote.binding.contextId, event.threadId),
    options,
  );
}

/**
 * Routes an edit, an unsend or a conversation event. Errors of `onMessageUpdated`/`onMessageDeleted`
 * and `onEvent` handlers propagate (the delivery is retried); `onMemberJoinedChannel` handlers' errors
 * are logged by the Chat SDK.
 *
 * @example
 * ```ts
 * if (event.kind === "space-event") await routeLifecycle(context, event, options);
 * ```
 */
export async function routeLifecycle(context: EventRouteContext, event: LifecycleEvent, options: WebhookOptions): Promise<void> {
  const { chat, adapter } = context;
  switch (event.kind) {
    case "edit":
      await chat.processMessageUpdated({ adapter, threadId: event.threadId, message: event.message as Message }, options);
      return;
    case "unsend":
      await chat.processMessageDeleted(
        { adapter, threadId: event.threadId, channelId: event.threadId, messageId: event.messageId, deletedAt: event.deletedAt, raw: event.raw },
        options,
      );
      return;
    case "space-event":
      if (event.event.type === "addMember") {
        for (const member of event.event.members) {
          chat.processMemberJoinedChannel({ adapter, channelId: event.event.threadId, userId: member, inviterId: event.event.user?.userId }, options);
        }
      }
      await context.events.emit(event.event);
      return;
  }
}

/** The envelope's time when it is a valid date, else now (a malformed timestamp never reaches a handler as Invalid Date). */
function validDate(value: string | undefined): Date {
  const date = value ? new Date(value) : new Date();
  return Number.isNaN(date.getTime()) ? new Date() : date;
}
