/**
 * @module adapter/outbound/streaming
 * Native streaming for iMessage, send-then-edit: the first text is sent as soon as there is some, then
 * edited in place as more arrives, at growing intervals and at most {@link MAX_STREAM_EDITS} times
 * (iMessage drops further edits of a message silently), the last edit being the exact final text.
 * Styled text cannot be edited (the edit API takes plain text), so it is buffered and posted once.
 */
import type { AdapterPostableMessage, RawMessage, StreamChunk } from "chat";

/** Edits iMessage applies to one message; later ones are dropped without an error. */
export const MAX_STREAM_EDITS = 5;
/** Wait before the first edit; each later one waits twice as long as the previous. */
export const FIRST_EDIT_AFTER_MS = 1_000;

/** What streaming needs of the adapter. */
export interface StreamTarget<Raw> {
  post(message: AdapterPostableMessage): Promise<RawMessage<Raw>>;
  edit(messageId: string, message: AdapterPostableMessage): Promise<RawMessage<Raw>>;
  /** The result for a stream that carried no text: nothing was sent. */
  nothingSent(): RawMessage<Raw>;
  /** Buffer and post once (styled text) instead of editing. */
  buffered: boolean;
  now?: () => number;
}

function textOf(chunk: string | StreamChunk): string {
  if (typeof chunk === "string") return chunk;
  return chunk.type === "markdown_text" ? chunk.text : "";
}

/**
 * Streams `chunks` into one message of the thread. An empty or tools-only stream sends nothing and
 * resolves to `target.nothingSent()` (never `null`, so the Chat SDK posts no "..." placeholder).
 *
 * @example
 * ```ts
 * const raw = await streamToMessage(textStream, { post, edit, nothingSent, buffered: false });
 * ```
 */
export async function streamToMessage<Raw>(chunks: AsyncIterable<string | StreamChunk>, target: StreamTarget<Raw>): Promise<RawMessage<Raw>> {
  const now = target.now ?? Date.now;
  let text = "";
  let sent: RawMessage<Raw> | undefined;
  let shown = "";
  let edits = 0;
  let wait = FIRST_EDIT_AFTER_MS;
  let nextEditAt = 0;
  for await (const chunk of chunks) {
    text += textOf(chunk);
    if (target.buffered || !text.trim()) continue;
    if (!sent) {
      sent = await target.post({ markdown: text });
      shown = text;
      nextEditAt = now() + wait;
      continue;
    }
    // Keep the last permitted edit for the final text, so it is always exact.
    if (edits < MAX_STREAM_EDITS - 1 && now() >= nextEditAt && text !== shown) {
      await target.edit(sent.id, { markdown: text });
      shown = text;
      edits++;
      wait *= 2;
      nextEditAt = now() + wait;
    }
  }
  if (!text.trim()) return sent ?? target.nothingSent();
  if (!sent) return await target.post({ markdown: text });
  if (text !== shown) await target.edit(sent.id, { markdown: text });
  return sent;
}
