/**
 * @module adapter/inbound/message-modal
 * `message.openModal(modal)` on the messages the iMessage adapter hands to handlers (the adapter's
 * documented way to open a poll), and the `chat` type augmentation that lets users call it.
 */
import { isJSX, toModalElement, type ChatElement, type Message, type ModalElement } from "chat";

declare module "chat" {
  interface Message<TRawMessage = unknown> {
    /**
     * Opens `modal` (built with `Modal`/`Select`/`SelectOption`, or JSX) in this message's
     * conversation. The iMessage adapter sends it as a native poll: the title is the question, the
     * first Select's option labels are the choices, and each vote reaches `bot.onModalSubmit(callbackId)`
     * with `values[selectId]` set to the chosen option's value. Resolves to the poll message's id.
     *
     * Added by `chat-adapter-imessage` to the messages its adapter hands to handlers; messages of
     * other adapters do not have it (check `message.openModal` before calling it in a multi-platform bot).
     *
     * @throws ValidationError when the modal has no Select with 2–10 options
     */
    openModal(modal: ModalElement | ChatElement): Promise<{ viewId: string } | undefined>;
  }
}

/** Opens a modal in a thread: the adapter's `openModal(threadId, modal)`. */
export type ModalOpener = (threadId: string, modal: ModalElement) => Promise<{ viewId: string }>;

/**
 * A JSX modal as its element; a modal element as is.
 *
 * @throws TypeError when `modal` is neither a `Modal` element nor a JSX `<Modal>`
 */
export function modalElementOf(modal: ModalElement | ChatElement): ModalElement {
  const element = isJSX(modal) ? toModalElement(modal) : modal;
  if (!element || (element as { type?: unknown }).type !== "modal") {
    throw new TypeError("openModal needs a Modal element: Modal({ callbackId, title, children: [Select(…)] }) or <Modal>…</Modal>");
  }
  return element as ModalElement;
}

/**
 * Gives a message `openModal(modal)`, opening the modal in the message's own thread. The method is
 * not enumerable, so `message.toJSON()` and the Chat SDK's serialization do not carry it.
 *
 * @example
 * ```ts
 * await chat.processMessage(adapter, threadId, withOpenModal(message, (id, modal) => adapter.openModal(id, modal)), options);
 * ```
 */
export function withOpenModal<M extends Message<unknown>>(message: M, open: ModalOpener): M {
  Object.defineProperty(message, "openModal", {
    value: async (modal: ModalElement | ChatElement) => await open(message.threadId, modalElementOf(modal)),
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return message;
}
