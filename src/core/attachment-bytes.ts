/**
 * @module core/attachment-bytes
 * Inbound attachment bytes from the iMessage server, inside a Worker's 128 MB: `fetchData` fills ONE
 * buffer sized from the declared total (so a file is held once, not once per chunk list plus a copy),
 * refuses files over a cap with an error that says to stream, and a stream accessor hands the bytes
 * on chunk by chunk for files of any size.
 */
import type { AdvancedIMessage, DownloadAttachmentChunk } from "@photon-ai/advanced-imessage/http";
import { ValidationError } from "./errors.ts";

/** Default largest attachment `fetchData` buffers: the file plus the isolate's own needs fit in 128 MB. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 96 * 1024 * 1024;

type Frames = AsyncIterable<DownloadAttachmentChunk>;

function tooLarge(attachmentId: string, size: number, cap: number): ValidationError {
  return new ValidationError(
    `attachment ${attachmentId} is ${size} bytes, over the ${cap}-byte limit of fetchData (a Worker has 128 MB): ` +
      "stream it instead with adapter.streamAttachment(attachmentId, threadId) (or attachment.stream()), or raise maxAttachmentBytes",
  );
}

/**
 * Reads an attachment into one buffer: allocated from the header's `totalBytes`, grown only if the server
 * sends more than it declared, and at most `cap` bytes.
 *
 * @example
 * ```ts
 * const bytes = await readAttachment(client.attachments.downloadStream(id), id, 96 * 1024 * 1024);
 * ```
 */
export async function readAttachment(frames: Frames, attachmentId: string, cap: number = DEFAULT_MAX_ATTACHMENT_BYTES): Promise<ArrayBuffer> {
  let buffer = new Uint8Array(0);
  let length = 0;
  for await (const frame of frames) {
    if (frame.type === "header") {
      const declared = frame.info.totalBytes;
      if (declared > cap) throw tooLarge(attachmentId, declared, cap);
      if (declared > 0) buffer = new Uint8Array(declared);
      continue;
    }
    if (frame.type !== "primaryChunk") continue;
    const needed = length + frame.data.byteLength;
    if (needed > cap) throw tooLarge(attachmentId, needed, cap);
    if (needed > buffer.byteLength) {
      const grown = new Uint8Array(Math.min(cap, Math.max(needed, buffer.byteLength * 2)));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(frame.data, length);
    length = needed;
  }
  return length === buffer.byteLength ? buffer.buffer : buffer.slice(0, length).buffer;
}

/**
 * The attachment's bytes as a stream, chunk by chunk as the server sends them (nothing buffered).
 *
 * @example
 * ```ts
 * const stream = attachmentStream(() => client.attachments.downloadStream(id));
 * await env.BUCKET.put(key, stream);
 * ```
 */
export function attachmentStream(open: () => Frames | Promise<Frames>): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<DownloadAttachmentChunk> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      iterator ??= (await open())[Symbol.asyncIterator]();
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
          return;
        }
        if (next.value.type === "primaryChunk") {
          controller.enqueue(next.value.data);
          return;
        }
      }
    },
    async cancel() {
      await iterator?.return?.();
    },
  });
}

/** The client's download frames for an attachment. */
export function downloadFrames(client: AdvancedIMessage, attachmentId: string): Frames {
  return client.attachments.downloadStream(attachmentId);
}
