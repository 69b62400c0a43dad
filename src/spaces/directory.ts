/**
 * @module spaces/directory
 * Remembers every space (DM or group) seen inbound, so a group can be addressed cold from any isolate.
 */
import type { StateAdapter } from "chat";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { SpaceSighting } from "../webhook/space-of.ts";

/** A remembered space. */
export interface SpaceRecord extends SpaceSighting {
  lastSeen: number;
}

/** Where spaces are recorded and looked up (the Gateway Durable Object, or the Chat state). */
export interface SpaceDirectory {
  /** Remembers a space; `envelope` is the inbound message it was seen with (a gateway may stream it on). */
  record(sighting: SpaceSighting, envelope?: SlimEnvelope): Promise<void>;
  lookup(chatGuid: string): Promise<SpaceRecord | null>;
  /** True when every inbound envelope must reach {@link record} (a gateway streaming them on); otherwise a space is recorded when new, changed or stale. */
  readonly streamsEnvelopes?: boolean;
}

/** Spaces are forgotten after this long without a sighting. */
const SPACE_TTL_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * A directory in the Chat SDK state adapter (shared by isolates when the state is durable).
 *
 * @example
 * ```ts
 * const spaces = createStateSpaceDirectory(() => chat.getState());
 * ```
 */
export function createStateSpaceDirectory(state: () => StateAdapter): SpaceDirectory {
  const key = (chatGuid: string) => `imessage:space:${chatGuid}`;
  return {
    async record(sighting) {
      // Like the gateway's SQLite cache: a sighting without a phone or a name keeps the ones already known.
      const known = sighting.phone && sighting.displayName ? null : await state().get<SpaceRecord>(key(sighting.chatGuid));
      const record: SpaceRecord = {
        ...sighting,
        phone: sighting.phone ?? known?.phone,
        displayName: sighting.displayName ?? known?.displayName,
        lastSeen: Date.now(),
      };
      await state().set(key(sighting.chatGuid), record, SPACE_TTL_MS);
    },
    async lookup(chatGuid) {
      return await state().get<SpaceRecord>(key(chatGuid));
    },
  };
}
