/**
 * @module gateway/spectrum-inbound
 * A slim Spectrum envelope (webhook, relay or catch-up) as the record a spectrum-ts provider emits:
 * spectrum-ts builds its `Message` (with `react`, `reply`, nested targets) from it.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { Content } from "spectrum-ts";
import type { ProviderMessageRecord } from "spectrum-ts/authoring";
import { spaceOf } from "../adapter/inbound.ts";
import type { AttachmentBytes, IMessageSpaceRef } from "./spectrum-source.ts";

/** A record for the spectrum app's message stream. */
export type InboundRecord = ProviderMessageRecord & { space: IMessageSpaceRef };

type Raw = Record<string, unknown>;

const isRaw = (value: unknown): value is Raw => typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === "string" ? value : "");
const dateOf = (value: unknown): Date | undefined => (typeof value === "string" ? new Date(value) : undefined);

/** A referenced message (reaction, reply or read target): spectrum-ts wraps raw records into Messages. */
function targetRecord(target: unknown, space: IMessageSpaceRef): InboundRecord {
  const ref = isRaw(target) ? target : {};
  return {
    id: str(ref.id),
    content: { type: "text", text: str(ref.contentPreview) },
    space,
    sender: isRaw(ref.sender) ? { ...ref.sender, id: str(ref.sender.id) } : undefined,
    timestamp: dateOf(ref.timestamp),
  };
}

function attachmentContent(raw: Raw, space: IMessageSpaceRef, bytes: AttachmentBytes): Raw {
  const id = str(raw.id);
  return {
    type: "attachment",
    id,
    name: str(raw.name) || "attachment",
    mimeType: str(raw.mimeType) || "application/octet-stream",
    size: typeof raw.size === "number" ? raw.size : undefined,
    read: async () => Buffer.from(await bytes(id, space)),
  };
}

function contentOf(raw: Raw, space: IMessageSpaceRef, bytes: AttachmentBytes): Raw {
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
        content: isRaw(raw.content) ? contentOf(raw.content, space, bytes) : { type: "custom", raw: raw.content },
        target: targetRecord(raw.target, space),
      };
    case "group":
      return { type: "group", items: (Array.isArray(raw.items) ? raw.items : []).map((item) => groupItem(item, space, bytes)) };
    case "attachment":
      return attachmentContent(raw, space, bytes);
    default:
      return { type: "custom", raw };
  }
}

/** Group items arrive either as records (`{id, content}`) or as bare contents (catch-up). */
function groupItem(item: unknown, space: IMessageSpaceRef, bytes: AttachmentBytes): InboundRecord {
  const raw = isRaw(item) ? item : {};
  const inner = isRaw(raw.content) ? raw.content : raw;
  return {
    id: str(raw.id),
    content: contentOf(inner, space, bytes) as Content,
    space,
    sender: isRaw(raw.sender) ? { ...raw.sender, id: str(raw.sender.id) } : undefined,
    timestamp: dateOf(raw.timestamp),
  };
}

/**
 * The record of an envelope's message. Content types the stream has no model for (polls, member
 * changes…) arrive as `custom` content carrying the raw slim content.
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
  return {
    id: message.id,
    direction: message.direction === "outbound" ? "outbound" : "inbound",
    content: contentOf(message.content, space, bytes) as Content,
    space,
    sender: message.sender ? { ...message.sender } : undefined,
    timestamp: dateOf(message.timestamp),
  };
}
