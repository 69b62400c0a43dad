/**
 * @module gateway/spectrum-inbound
 * A slim Spectrum envelope (webhook, relay or catch-up) as the record a spectrum-ts provider emits:
 * spectrum-ts builds its `Message` (with `react`, `reply`, nested targets) from it.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { Content } from "spectrum-ts";
import type { ProviderMessageRecord } from "spectrum-ts/authoring";
import { spaceOf } from "../webhook/space-of.ts";
import { groupParts, type GroupPart, type WireContent } from "../webhook/content.ts";
import type { AttachmentBytes, IMessageSpaceRef } from "./spectrum-source.ts";

/** A record for the spectrum app's message stream. */
export type InboundRecord = ProviderMessageRecord & { space: IMessageSpaceRef };

type Raw = Record<string, unknown>;

/**
 * Longest identifier (sender, target, attachment id) handed to spectrum-ts; longer ones are cut. Real
 * handles and GUIDs are far shorter, and spectrum-ts runs backtracking regexes over sender ids.
 */
export const MAX_RECORD_ID_LENGTH = 1024;
/** Replies and groups nested deeper than this reach the stream as `custom` content (real ones nest 2–3 levels). */
export const MAX_RECORD_DEPTH = 8;

const isRaw = (value: unknown): value is Raw => typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === "string" ? value : "");
const idOf = (value: unknown): string => str(value).slice(0, MAX_RECORD_ID_LENGTH);

/** A valid Date, or undefined (spectrum-ts then stamps the message with the time it streamed it). */
function dateOf(value: unknown): Date | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function senderOf(value: unknown): { id: string } | undefined {
  return isRaw(value) ? { ...value, id: idOf(value.id) } : undefined;
}

/** A referenced message (reaction, reply or read target): spectrum-ts wraps raw records into Messages. */
function targetRecord(target: unknown, space: IMessageSpaceRef): InboundRecord {
  const ref = isRaw(target) ? target : {};
  return {
    id: idOf(ref.id),
    content: { type: "text", text: str(ref.contentPreview) },
    space,
    sender: senderOf(ref.sender),
    timestamp: dateOf(ref.timestamp),
  };
}

function attachmentContent(raw: Raw, space: IMessageSpaceRef, bytes: AttachmentBytes): Raw {
  const id = idOf(raw.id);
  return {
    type: "attachment",
    id,
    name: str(raw.name) || "attachment",
    mimeType: str(raw.mimeType) || "application/octet-stream",
    size: typeof raw.size === "number" ? raw.size : undefined,
    read: async () => Buffer.from(await bytes(id, space)),
  };
}

function contentOf(raw: Raw, space: IMessageSpaceRef, bytes: AttachmentBytes, depth = 0): Raw {
  if (depth >= MAX_RECORD_DEPTH && (raw.type === "reply" || raw.type === "group")) return { type: "custom", raw };
  switch (raw.type) {
    case "text":
      return { type: "text", text: str(raw.text) };
    case "richlink":
      return { type: "text", text: str(raw.url) };
    case "reaction":
      return { type: "reaction", emoji: str(raw.emoji), target: targetRecord(raw.target, space) };
    case "reply":
      return {
        type: "reply",
        content: isRaw(raw.content) ? contentOf(raw.content, space, bytes, depth + 1) : { type: "custom", raw: raw.content },
        target: targetRecord(raw.target, space),
      };
    case "group":
      return { type: "group", items: groupParts(raw as WireContent).map((part) => groupItem(part, space, bytes, depth + 1)) };
    case "attachment":
      return attachmentContent(raw, space, bytes);
    default:
      return { type: "custom", raw };
  }
}

/** Group items arrive either as records (`{id, content}`) or as bare contents (catch-up). */
/** One part of a group (records and bare contents are told apart by `groupParts`, the webhook's own reading). */
function groupItem(part: GroupPart, space: IMessageSpaceRef, bytes: AttachmentBytes, depth: number): InboundRecord {
  return {
    id: idOf(part.id),
    content: contentOf(part.content, space, bytes, depth) as Content,
    space,
    sender: senderOf(part.sender),
    timestamp: dateOf(part.timestamp),
  };
}

/**
 * The record of an envelope's message. Content types the stream has no model for (polls, member
 * changes…) arrive as `custom` content carrying the raw slim content. Whatever the envelope holds,
 * the record is one spectrum-ts can build a message from: an invalid timestamp is left out, huge
 * identifiers are cut, deep nesting stops at {@link MAX_RECORD_DEPTH}; throws only for an envelope
 * without a message or space (which the webhook gate never lets through).
 *
 * @example
 * ```ts
 * const record = recordOf(delivery.envelope, (id, space) => download(id, space.phone));
 * record.space; // { id: "any;+;chat…", type: "group", phone: "+15550001111" }
 * ```
 */
export function recordOf(envelope: SlimEnvelope, bytes: AttachmentBytes): InboundRecord {
  const { message } = envelope;
  const sighting = spaceOf(envelope);
  const space: IMessageSpaceRef = { id: sighting.chatGuid, type: sighting.type, ...(sighting.phone ? { phone: sighting.phone } : {}) };
  const content: unknown = message.content;
  return {
    id: str(message.id),
    direction: message.direction === "outbound" ? "outbound" : "inbound",
    content: (isRaw(content) ? contentOf(content, space, bytes) : { type: "custom", raw: content }) as Content,
    space,
    sender: senderOf(message.sender),
    timestamp: dateOf(message.timestamp),
  };
}
