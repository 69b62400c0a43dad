/**
 * @module adapter/postable
 * The files of a Chat SDK postable message, read into bytes (shared by the Worker and local adapters;
 * text goes through `iMessageFormatConverter.renderOutbound`).
 */
import type { AdapterPostableMessage, FileUpload } from "chat";

/** A file to send, as bytes and a name. */
export interface OutgoingFile {
  filename: string;
  mimeType?: string;
  data: Uint8Array;
}

/** The files attached to a postable message (none for strings and cards). */
export function filesOf(message: AdapterPostableMessage): FileUpload[] {
  return typeof message === "object" && message !== null && "files" in message && Array.isArray(message.files)
    ? message.files
    : [];
}

/**
 * The files attached to a postable message, read into bytes.
 *
 * @example
 * ```ts
 * for (const file of await postableFiles(message)) await upload(file.filename, file.data);
 * ```
 */
export async function postableFiles(message: AdapterPostableMessage): Promise<OutgoingFile[]> {
  return await Promise.all(
    filesOf(message).map(async (file) => ({
      filename: file.filename,
      mimeType: file.mimeType,
      data:
        file.data instanceof Uint8Array
          ? file.data
          : file.data instanceof ArrayBuffer
            ? new Uint8Array(file.data)
            : new Uint8Array(await (file.data as Blob).arrayBuffer()),
    })),
  );
}
