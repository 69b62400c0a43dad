/**
 * @module adapter/inbound/server-message
 * Messages read back from the iMessage server (history, fetchMessage) as Chat SDK messages.
 */
import type { Message as ServerMessage } from "@photon-ai/advanced-imessage/http";
import { Message, type Attachment } from "chat";
import { iMessageFormatConverter } from "../format.ts";

const converter = new iMessageFormatConverter();

function kindOf(mimeType: string): Attachment["type"] {
  if (mimeType.startsWith("image/")) return "image";
  if (mimeType.startsWith("video/")) return "video";
  if (mimeType.startsWith("audio/")) return "audio";
  return "file";
}

/**
 * Converts a server message; `fetchAttachment` downloads attachment bytes on demand.
 *
 * @example
 * ```ts
 * const message = fromServerMessage(await client.messages.get(guid), threadId, "bot", download);
 * ```
 */
export function fromServerMessage(
  message: ServerMessage,
  threadId: string,
  botName: string,
  fetchAttachment: (attachmentId: string, threadId: string) => Promise<ArrayBuffer>,
): Message<ServerMessage> {
  const text = message.content.text ?? "";
  const sender = message.isFromMe ? botName : (message.sender?.address ?? "unknown");
  const attachments = message.content.attachments.map(
    (info) =>
      ({
        type: kindOf(info.mimeType),
        name: info.fileName,
        mimeType: info.mimeType,
        size: info.totalBytes,
        fetchMetadata: { attachmentId: info.guid, threadId },
        fetchData: async () => await fetchAttachment(info.guid, threadId),
      }) as Attachment,
  );
  return new Message<ServerMessage>({
    id: message.guid,
    threadId,
    text,
    formatted: converter.toAst(text),
    raw: message,
    author: { userId: sender, userName: sender, fullName: sender, isBot: message.isFromMe, isMe: message.isFromMe },
    metadata: {
      dateSent: new Date(message.dateCreated),
      edited: Boolean(message.dateEdited),
      editedAt: message.dateEdited ? new Date(message.dateEdited) : undefined,
    },
    attachments,
  });
}
