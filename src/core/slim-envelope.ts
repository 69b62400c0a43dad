/**
 * @module core/slim-envelope
 * Builds the slim Spectrum envelope a webhook would carry, for messages that reach us another way
 * (the gateway's catch-up poll, the local bridge and its relay).
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { isGroupGuid } from "./thread-id.ts";

/** What an envelope says about one message. */
export interface EnvelopeFields {
  guid: string;
  chatGuid: string;
  /** Defaults to what the GUID says (`;+;` is a group). */
  isGroup?: boolean;
  phone: string;
  displayName?: string;
  sender: string;
  date: Date;
  isFromMe?: boolean;
  content: { type: string; [field: string]: unknown };
}

/**
 * The envelope for one message, shaped like `test/fixtures/webhooks/*.json`.
 *
 * @example
 * ```ts
 * slimEnvelope({ guid, chatGuid: "any;-;+1555…", phone: "shared", sender: "+1555…", date, content: { type: "text", text } });
 * ```
 */
export function slimEnvelope(fields: EnvelopeFields): SlimEnvelope {
  const space = {
    id: fields.chatGuid,
    platform: "imessage",
    type: (fields.isGroup ?? isGroupGuid(fields.chatGuid)) ? "group" : "dm",
    phone: fields.phone,
    ...(fields.displayName ? { displayName: fields.displayName } : {}),
  };
  return {
    event: "messages",
    space,
    message: {
      id: fields.guid,
      platform: "imessage",
      direction: fields.isFromMe ? "outbound" : "inbound",
      timestamp: fields.date.toISOString(),
      sender: { id: fields.sender, platform: "imessage" },
      space,
      content: fields.content,
    },
  };
}
