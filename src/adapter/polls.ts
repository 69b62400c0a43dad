/**
 * @module adapter/polls
 * Chat SDK modals as native iMessage polls: the first Select becomes the poll, and the poll ↔ modal
 * mapping lives in the Chat state so a vote reaching any isolate, hours later, finds its modal.
 */
import type { Logger, ModalElement, StateAdapter } from "chat";
import { ValidationError } from "./errors.ts";

/** What a vote needs to become a modal submission. */
export interface PollBinding {
  callbackId: string;
  viewId: string;
  selectId: string;
  /** Option title → the Select option's value. */
  values: Record<string, string>;
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

/** Stores a poll's binding; warns when the chat already has an open poll with that title (the newest wins). */
export async function savePollBinding(state: StateAdapter, chatGuid: string, binding: PollBinding, logger: Logger): Promise<void> {
  const key = bindingKey(chatGuid, binding.title);
  const previous = await state.get<PollBinding>(key);
  if (previous && previous.viewId !== binding.viewId) {
    logger.warn(`Poll title "${binding.title}" is reused in ${chatGuid}: votes now go to the newest poll`, {
      previousViewId: previous.viewId,
    });
  }
  await state.set(key, binding, POLL_TTL_MS);
}

/** The binding and chosen value for a vote, or null when no poll of ours has that title and option. */
export async function resolveVote(
  state: StateAdapter,
  chatGuid: string,
  pollTitle: string,
  optionTitle: string,
): Promise<{ binding: PollBinding; value: string } | null> {
  const binding = await state.get<PollBinding>(bindingKey(chatGuid, pollTitle));
  const value = binding?.values[optionTitle.trim()];
  return binding && value !== undefined ? { binding, value } : null;
}
