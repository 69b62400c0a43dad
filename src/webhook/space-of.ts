/**
 * @module webhook/space-of
 * The conversation ("space") an envelope belongs to, in its canonical spelling: what the space
 * directory records for cold replies to groups, and what every path keys a conversation by.
 */
import type { SlimEnvelope, SlimMessage } from "@spectrum-ts/core/webhook";
import { canonicalChatGuid } from "../core/addresses.ts";

/** The space an envelope belongs to, as recorded for cold replies to groups. */
export interface SpaceSighting {
  chatGuid: string;
  type: "dm" | "group";
  phone: string | undefined;
  displayName: string | undefined;
}

type Content = { type: string; [field: string]: unknown };

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The space of an envelope: chat GUID, kind, routing phone, and its name (the new one, for a rename). */
export function spaceOf(envelope: SlimEnvelope): SpaceSighting {
  const space = envelope.message.space as SlimMessage["space"] & { type?: string; phone?: string; displayName?: string; name?: string };
  const content = envelope.message.content as Content;
  const renamedTo = content.type === "rename" ? str(content.displayName)?.trim() || undefined : undefined;
  return {
    chatGuid: canonicalChatGuid(space.id),
    type: space.type === "group" || space.id.includes(";+;") ? "group" : "dm",
    phone: str(space.phone),
    displayName: renamedTo ?? str(space.displayName) ?? str(space.name),
  };
}
