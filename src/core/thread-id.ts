/**
 * @module core/thread-id
 * Chat SDK thread ids for iMessage chats: `imessage:<chatGuid>` or `imessage:<chatGuid>~<phone>`.
 * The GUID is always canonical (`any;-;<E.164 or email>`, `any;+;<id>`): every spelling of a
 * conversation (`iMessage;-;`, `SMS;-;`, `any;-;`) is one thread.
 */
import { canonicalChatGuid } from "./addresses.ts";
import { SHARED_PHONE } from "./config.ts";
import { ValidationError } from "./errors.ts";

/** The iMessage conversation a thread id names. */
export interface iMessageThreadId {
  /** Chat GUID: `any;-;<address>` for a DM, `any;+;<id>` for a group. */
  chatGuid: string;
  /** Phone the conversation is served from; omitted for the shared number. */
  phone?: string;
}

export const ADAPTER_NAME = "imessage";
const CHAT_GUID = /^[^;\s]+;[-+];.+$/;
const PHONE_SUFFIX = /^\+?\d[\d-]{2,}$/;

/** True when the GUID names a one-to-one conversation. */
export function isDmGuid(chatGuid: string): boolean {
  return chatGuid.includes(";-;");
}

/** True when the GUID names a group conversation. */
export function isGroupGuid(chatGuid: string): boolean {
  return chatGuid.includes(";+;");
}

/** Checks a chat GUID (`any;-;+15551234567`, `any;+;chat123…`). */
export function assertChatGuid(chatGuid: string): string {
  if (!CHAT_GUID.test(chatGuid)) {
    throw new ValidationError(
      `"${chatGuid}" is not an iMessage chat GUID: expected "any;-;<address>" (DM) or "any;+;<id>" (group)`,
    );
  }
  return chatGuid;
}

/**
 * Encodes a conversation as a Chat SDK thread id.
 *
 * @example
 * ```ts
 * encodeThreadId({ chatGuid: "any;-;+15551234567" }); // "imessage:any;-;+15551234567"
 * encodeThreadId({ chatGuid: "any;+;chat1", phone: "+15550001111" }); // "imessage:any;+;chat1~+15550001111"
 * ```
 */
export function encodeThreadId({ chatGuid: given, phone }: iMessageThreadId): string {
  const chatGuid = assertChatGuid(canonicalChatGuid(given));
  return phone && phone !== SHARED_PHONE ? `${ADAPTER_NAME}:${chatGuid}~${phone}` : `${ADAPTER_NAME}:${chatGuid}`;
}

/**
 * Decodes a thread id made by {@link encodeThreadId} or by Photon's adapter (`…~shared`, `…~<phone>`,
 * `iMessage;-;…` GUIDs) into the canonical GUID; throws on another adapter's prefix.
 *
 * @example
 * ```ts
 * decodeThreadId("imessage:any;+;chat1~+15550001111"); // { chatGuid: "any;+;chat1", phone: "+15550001111" }
 * ```
 */
export function decodeThreadId(threadId: string): iMessageThreadId {
  const prefix = `${ADAPTER_NAME}:`;
  if (!threadId.startsWith(prefix)) {
    throw new ValidationError(`thread id "${threadId}" does not start with "${prefix}"`);
  }
  const rest = threadId.slice(prefix.length);
  const tilde = rest.lastIndexOf("~");
  const suffix = tilde > 0 ? rest.slice(tilde + 1) : "";
  // Only a phone-shaped suffix (or Photon's "shared") routes: an address like "a~b@x.com" keeps its tilde.
  const isShared = suffix === SHARED_PHONE;
  const hasPhone = PHONE_SUFFIX.test(suffix);
  const chatGuid = assertChatGuid(canonicalChatGuid(hasPhone || isShared ? rest.slice(0, tilde) : rest));
  const phone = hasPhone ? suffix : undefined;
  return phone ? { chatGuid, phone } : { chatGuid };
}

/** The address on the other side of a DM GUID (`any;-;+1555…` → `+1555…`). */
export function dmAddress(chatGuid: string): string | undefined {
  const index = chatGuid.indexOf(";-;");
  return index >= 0 ? chatGuid.slice(index + 3) : undefined;
}
