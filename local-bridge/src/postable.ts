/**
 * @module local-bridge/postable
 * The files of a Chat SDK postable message, as bytes AppleScript can send (text goes through the
 * Worker adapter's `iMessageFormatConverter.renderOutbound`).
 */
import type { AdapterPostableMessage } from "chat";

/** A file to send, as bytes and a name. */
export interface OutgoingFile {
  filename: string;
  mimeType?: string;
  data: Uint8Array;
}

/** The files attached to a postable message, read into bytes. */
export async function postableFiles(message: AdapterPostableMessage): Promise<OutgoingFile[]> {
  if (typeof message !== "object" || message === null || !("files" in message) || !message.files) return [];
  return Promise.all(
    message.files.map(async (file) => ({
      filename: file.filename,
      mimeType: file.mimeType,
      data:
        file.data instanceof Uint8Array
          ? file.data
          : file.data instanceof ArrayBuffer
            ? new Uint8Array(file.data)
            : new Uint8Array(await file.data.arrayBuffer()),
    })),
  );
}
