/**
 * @module simulator/world-types
 * What the simulated account holds (chats, messages, attachments, polls), and file types by extension.
 */

/** A conversation. */
export interface SimChat {
  guid: string;
  isGroup: boolean;
  displayName?: string;
  participants: string[];
  unreadCount: number;
  createdAt: number;
}

/** An attachment with its bytes. */
export interface SimAttachment {
  guid: string;
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
  isOutgoing: boolean;
  companion?: { bytes: Uint8Array; fileName: string; mimeType: string };
}

/** A message (text, attachment, multipart, reaction or poll balloon). */
export interface SimMessage {
  guid: string;
  chatGuid: string;
  rowid: number;
  text?: string;
  subject?: string;
  effectId?: string;
  attachmentGuids: string[];
  mentions: { address: string; start: number; length: number }[];
  formatting: { type: string; start: number; length: number; effectName?: string }[];
  partCount: number;
  isFromMe: boolean;
  sender?: string;
  isAudioMessage: boolean;
  dateCreated: number;
  dateEdited?: number;
  dateRetracted?: number;
  dateRead?: number;
  replyTargetGuid?: string;
  threadOriginatorGuid?: string;
  reaction?: { kind: string; emoji?: string };
  reactionTargetGuid?: string;
  reactionTargetPartIndex?: number;
  reactionSelected?: boolean;
  balloonBundleId?: string;
  clientMessageId?: string;
  server?: string;
}

/** A poll attached to a poll message. */
export interface SimPoll {
  pollMessageGuid: string;
  chatGuid: string;
  title: string;
  options: { text: string; optionIdentifier: string; creatorHandle?: string }[];
  /** participant address → option id */
  votes: Map<string, string>;
}

/** Options for a fresh world. */
export interface WorldSeed {
  /** The bot's own address (the number the account sends from). */
  selfAddress?: string;
  /** Extra chats to create: DM addresses or group definitions. */
  chats?: { guid: string; displayName?: string; participants: string[] }[];
}

const MIME_BY_EXTENSION: Record<string, [mime: string, uti: string]> = {
  png: ["image/png", "public.png"],
  jpg: ["image/jpeg", "public.jpeg"],
  jpeg: ["image/jpeg", "public.jpeg"],
  gif: ["image/gif", "com.compuserve.gif"],
  heic: ["image/heic", "public.heic"],
  mov: ["video/quicktime", "com.apple.quicktime-movie"],
  mp4: ["video/mp4", "public.mpeg-4"],
  m4a: ["audio/x-m4a", "com.apple.m4a-audio"],
  caf: ["audio/x-caf", "com.apple.coreaudio-format"],
  pdf: ["application/pdf", "com.adobe.pdf"],
  txt: ["text/plain", "public.plain-text"],
  json: ["application/json", "public.json"],
  vcf: ["text/vcard", "public.vcard"],
};

/** MIME type and UTI guessed from a file name's extension. */
export function mimeForFileName(fileName: string): { mimeType: string; uti: string } {
  const extension = fileName.split(".").pop()?.toLowerCase() ?? "";
  const [mimeType, uti] = MIME_BY_EXTENSION[extension] ?? ["application/octet-stream", "public.data"];
  return { mimeType, uti };
}
