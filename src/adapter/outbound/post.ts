/**
 * @module adapter/outbound/post
 * Posting a Chat SDK message to a thread over the HTTP API: text (plain or styled), files, an inline
 * reply target and an expressive-send effect, each write with its idempotency key.
 */
import type { AdvancedIMessage, Message as ServerMessage, TextFormatInput } from "@photon-ai/advanced-imessage/http";
import type { AdapterPostableMessage, RawMessage } from "chat";
import type { iMessageEffectId } from "./effects.ts";
import { ValidationError } from "../../core/errors.ts";
import { postableFiles } from "../postable.ts";
import type { StyledText } from "./styled-text.ts";

/** The client that reaches a thread's line, and the thread's chat GUID. */
export interface ThreadTarget {
  client: AdvancedIMessage;
  chatGuid: string;
}

/** What the outbound operations need from the adapter. */
export interface OutboundContext {
  /** The client and chat GUID of a thread; throws `NotImplementedError` naming `operation` when it cannot be reached. */
  target(threadId: string, operation: string): Promise<ThreadTarget>;
  /** The text and formatting ranges to send (per the `formatting` option); throws for cards. */
  render(message: AdapterPostableMessage, operation: string): StyledText;
  /** The idempotency key (`clientMessageId`) of the next write in a chat, if the adapter keys writes. */
  writeKey(chatGuid: string): string | undefined;
  /** Runs after a message went out (the adapter clears its typing indicator there). */
  afterPost(threadId: string, target: ThreadTarget): Promise<void>;
}

/** How to post. */
export interface PostOptions {
  /** The public operation, named in errors (`postMessage`, `reply`, `sendEffect`…). */
  operation: string;
  /** Message GUID to reply to inline. */
  replyTo?: string;
  /** Expressive-send effect id (see `adapter/outbound/effects`). */
  effect?: iMessageEffectId;
}

/**
 * Posts text and/or files: text alone with `sendText`, one file alone with `sendAttachment`,
 * anything else as one `sendMultipart` (text first, then the files in order).
 *
 * @throws ValidationError when there is neither text nor a file; whatever the client throws (its
 *   `AuthenticationError`, `NotFoundError`, `RateLimitError`, `ValidationError`, `ConnectionError`).
 * @example
 * ```ts
 * await postToThread(context, "imessage:any;-;+15551234567", { markdown: "**Done**" }, { operation: "postMessage" });
 * ```
 */
export async function postToThread(
  context: OutboundContext,
  threadId: string,
  message: AdapterPostableMessage,
  options: PostOptions,
): Promise<RawMessage<ServerMessage>> {
  const { text, formatting } = context.render(message, options.operation);
  const files = await postableFiles(message);
  if (!text.trim() && files.length === 0) {
    throw new ValidationError(`${options.operation} needs non-empty text or at least one file`);
  }
  const target = await context.target(threadId, options.operation);
  const { client, chatGuid } = target;
  const sendOptions = () => {
    const key = context.writeKey(chatGuid);
    return {
      ...(key ? { clientMessageId: key } : {}),
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.effect ? { effect: options.effect } : {}),
    };
  };
  const styled: { formatting?: TextFormatInput[] } = formatting.length > 0 ? { formatting } : {};
  let sent: ServerMessage;
  if (files.length === 0) {
    sent = await client.messages.sendText(chatGuid, text, { ...sendOptions(), ...styled });
  } else {
    const uploads = [];
    for (const file of files) {
      const uploaded = await client.attachments.upload({ data: file.data, fileName: file.filename });
      uploads.push({ attachmentGuid: uploaded.attachment.guid, attachmentName: file.filename });
    }
    const [only] = uploads;
    if (!text.trim() && uploads.length === 1 && only) {
      sent = await client.messages.sendAttachment(chatGuid, only.attachmentGuid, sendOptions());
    } else {
      const parts = [...(text.trim() ? [{ text, ...styled }] : []), ...uploads];
      sent = await client.messages.sendMultipart(chatGuid, parts, sendOptions());
    }
  }
  await context.afterPost(threadId, target);
  return { id: sent.guid, threadId, raw: sent };
}
