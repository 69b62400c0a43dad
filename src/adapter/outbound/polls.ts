/**
 * @module adapter/outbound/polls
 * Chat SDK modals as native iMessage polls (opened with `openPollModal`): the first Select becomes the poll, and the poll ↔ modal
 * mapping lives in the Chat state so a vote reaching any isolate, hours later, finds its modal — by the
 * poll's message GUID when the vote names it, else by the poll's title in that chat.
 */
import type { Logger, ModalElement, StateAdapter } from "chat";
import { ValidationError } from "../../core/errors.ts";
import type { OutboundContext } from "./post.ts";
import { ADAPTER_NAME, decodeThreadId, isDmGuid } from "../../core/thread-id.ts";

/** What a vote needs to become a modal submission. */
export interface PollBinding {
  callbackId: string;
  viewId: string;
  selectId: string;
  /** Option title → the Select option's value. */
  values: Record<string, string>;
  /** Option identifier (as the server assigned it) → option title; absent in bindings saved before ids were kept. */
  optionTitles?: Record<string, string>;
  contextId: string | undefined;
  privateMetadata: string | undefined;
  title: string;
}

/** A modal checked and reduced to a poll. */
export interface PollSpec {
  title: string;
  selectId: string;
  options: { label: string; value: string }[];
}

/** Poll mappings are kept this long. */
const POLL_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Checks a modal and extracts its poll: the first Select, 2–10 options with distinct labels.
 *
 * @example
 * ```ts
 * const poll = pollFromModal(modal); // { title, selectId, options }
 * ```
 */
export function pollFromModal(modal: ModalElement): PollSpec {
  const select = modal.children.find((child) => child.type === "select");
  if (!select || select.type !== "select") {
    const found = modal.children.map((child) => child.type).join(", ") || "nothing";
    throw new ValidationError(
      `openModal needs a Select child: iMessage modals are native polls (the first Select's options become the poll's choices). This modal has: ${found}`,
    );
  }
  const ignored = modal.children.filter((child) => child !== select).map((child) => child.type);
  if (ignored.length > 0) {
    throw new ValidationError(
      `iMessage polls carry only the first Select; remove the unsupported elements: ${ignored.join(", ")}`,
    );
  }
  const options = select.options.map((option) => ({ label: option.label.trim(), value: option.value }));
  if (options.length < 2 || options.length > 10) {
    throw new ValidationError(`iMessage polls need between 2 and 10 options, this Select has ${options.length}`);
  }
  const labels = new Set(options.map((o) => o.label));
  if (labels.size !== options.length) {
    throw new ValidationError("poll options must have distinct labels: a vote arrives as the option's title");
  }
  const title = modal.title.trim();
  if (!title) throw new ValidationError("the modal title is the poll's question and must not be empty");
  return { title, selectId: select.id, options };
}

function bindingKey(chatGuid: string, title: string): string {
  return `imessage:poll:${chatGuid}:${title.trim().toLowerCase()}`;
}

function bindingIdKey(pollId: string): string {
  return `imessage:poll-id:${pollId}`;
}

/**
 * Stores a poll's binding under its message GUID (`binding.viewId`) and its title; warns when the chat
 * already has a poll with that title (votes that do not name their poll then go to the newest).
 */
export async function savePollBinding(state: StateAdapter, chatGuid: string, binding: PollBinding, logger: Logger): Promise<void> {
  const key = bindingKey(chatGuid, binding.title);
  const previous = await state.get<PollBinding>(key);
  if (previous && previous.viewId !== binding.viewId) {
    logger.warn(`Poll title "${binding.title}" is reused in ${chatGuid}: votes that do not name their poll now go to the newest one`, {
      previousViewId: previous.viewId,
    });
  }
  await state.set(bindingIdKey(binding.viewId), binding, POLL_TTL_MS);
  await state.set(key, binding, POLL_TTL_MS);
}

/** What a vote says about its poll and option. */
export interface VoteRef {
  chatGuid: string;
  pollId: string | undefined;
  pollTitle: string;
  optionId: string | undefined;
  optionTitle: string;
}

/** A vote matched to one of the bot's polls. */
export interface ResolvedVote {
  binding: PollBinding;
  /** The Select option's value; for an option added to the poll after it was opened, its title. */
  value: string;
  /** The option's title. */
  label: string;
  /** How the poll was found. */
  matchedBy: "id" | "title";
}

/**
 * Matches a vote to the bot's poll: by the poll's id when the vote names it (and the bot opened that
 * poll), else by the title in that chat. The option is resolved by its title, else by its id (from the
 * ids saved when the poll was opened, else through `optionTitleOf`, which asks the server for an option
 * added later).
 *
 * @returns null when no poll of the bot's matches, or the option cannot be named.
 * @example
 * ```ts
 * const vote = await resolveVote(state, { chatGuid, pollId, pollTitle: "Lunch?", optionId, optionTitle: "" }, lookup);
 * if (vote) values[vote.binding.selectId] = vote.value;
 * ```
 */
export async function resolveVote(
  state: StateAdapter,
  ref: VoteRef,
  optionTitleOf?: (pollId: string, optionId: string) => Promise<string | undefined>,
): Promise<ResolvedVote | null> {
  const byId = ref.pollId ? await state.get<PollBinding>(bindingIdKey(ref.pollId)) : null;
  const binding = byId ?? (ref.pollTitle.trim() ? await state.get<PollBinding>(bindingKey(ref.chatGuid, ref.pollTitle)) : null);
  if (!binding) return null;
  let label = ref.optionTitle.trim();
  if (!label && ref.optionId) {
    label = binding.optionTitles?.[ref.optionId] ?? (await optionTitleOf?.(binding.viewId, ref.optionId))?.trim() ?? "";
  }
  if (!label) return null;
  return { binding, value: binding.values[label] ?? label, label, matchedBy: byId ? "id" : "title" };
}

/**
 * Opens a modal as a native poll (`POST /v1/polls`): the first Select's options become the choices,
 * the title the question; the binding its votes are matched by is saved in the Chat state.
 *
 * @throws ValidationError for a modal that is not a poll (see {@link pollFromModal}).
 * @example
 * ```ts
 * const { viewId } = await openPollModal(outbound, chat.getState(), logger, threadId, modal);
 * ```
 */
export async function openPollModal(
  context: OutboundContext,
  state: StateAdapter,
  logger: Logger,
  threadId: string,
  modal: ModalElement,
  contextId: string | undefined,
): Promise<{ viewId: string }> {
  const poll = pollFromModal(modal);
  const { client, chatGuid } = await context.target(threadId, "openModal");
  const key = context.writeKey(chatGuid);
  const created = await client.polls.create(chatGuid, poll.title, poll.options.map((o) => o.label), key ? { clientMessageId: key } : undefined);
  const viewId = created.pollMessageGuid;
  await savePollBinding(
    state,
    chatGuid,
    {
      callbackId: modal.callbackId,
      viewId,
      selectId: poll.selectId,
      values: Object.fromEntries(poll.options.map((o) => [o.label, o.value])),
      contextId,
      privateMetadata: modal.privateMetadata,
      title: poll.title,
      optionTitles: Object.fromEntries(created.options.map((o) => [o.optionIdentifier, o.text])),
    },
    logger,
  );
  return { viewId };
}

/**
 * The modal context id a vote's `onModalSubmit` runs with. The Chat SDK consumes a modal context on
 * the first submit, but a poll takes many votes: when the original context is gone (or the poll was
 * opened outside an action), a fresh one naming the poll's thread is stored so every vote's handler
 * gets `relatedThread`.
 */
export async function pollVoteContext(state: StateAdapter, contextId: string | undefined, threadId: string): Promise<string> {
  if (contextId && (await state.get(`modal-context:${ADAPTER_NAME}:${contextId}`)) !== null) return contextId;
  const fresh = `poll-vote-${crypto.randomUUID()}`;
  const thread = {
    _type: "chat:Thread",
    id: threadId,
    channelId: threadId,
    channelVisibility: "private",
    isDM: isDmGuid(decodeThreadId(threadId).chatGuid),
    adapterName: ADAPTER_NAME,
  };
  await state.set(`modal-context:${ADAPTER_NAME}:${fresh}`, { thread }, 60_000);
  return fresh;
}
