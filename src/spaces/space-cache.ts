/**
 * @module spaces/space-cache
 * The gateway's bounded memory of spaces in Durable Object SQLite: one row per chat GUID, the least
 * recently seen evicted first once the bound is reached. A sighting writes only when the space is new
 * or changed, or its stored "last seen" is older than {@link SPACE_REFRESH_MS}; fresher sightings are
 * kept in memory and written just before an eviction needs them.
 */
import type { SpaceSighting } from "../webhook/space-of.ts";
import type { SpaceRecord } from "./directory.ts";

/** Default number of spaces remembered. */
export const DEFAULT_SPACE_LIMIT = 10_000;
/** Chat GUIDs longer than this are not remembered (the webhook gate refuses them; real ones are under 100 characters). */
export const MAX_SPACE_ID_LENGTH = 1024;
/** Display names are kept up to this many characters. */
export const MAX_DISPLAY_NAME_LENGTH = 256;
/** Longer phone lines are not real ones and are not kept (a send would route on them). */
export const MAX_PHONE_LENGTH = 64;
/** A space's stored "last seen" is rewritten by an unchanged sighting only once it is this old. */
export const SPACE_REFRESH_MS = 6 * 3600 * 1000;

interface SpaceRow extends Record<string, SqlStorageValue> {
  chat_guid: string;
  type: string;
  phone: string | null;
  display_name: string | null;
  last_seen: number;
}

/** At most `max` UTF-16 units, never ending in half a surrogate pair. */
function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function toRecord(row: SpaceRow): SpaceRecord {
  return {
    chatGuid: row.chat_guid,
    type: row.type === "group" ? "group" : "dm",
    phone: row.phone ?? undefined,
    displayName: row.display_name ?? undefined,
    lastSeen: row.last_seen,
  };
}

/**
 * Spaces in SQLite. A sighting without a phone or display name keeps the ones already known.
 *
 * @example
 * ```ts
 * const spaces = new SpaceCache(ctx.storage.sql, 10_000);
 * spaces.record({ chatGuid: "any;+;chat1", type: "group", phone: "+15550001111", displayName: "Team" });
 * spaces.lookup("any;+;chat1")?.phone; // "+15550001111"
 * ```
 */
export class SpaceCache {
  /** Rows in the table, as last counted and kept since (undefined until the first sighting). */
  private count: number | undefined;
  /** Sightings of unchanged spaces not written yet: chat GUID → when last seen. */
  private readonly seen = new Map<string, number>();

  private readonly sql: SqlStorage;
  readonly limit: number;

  constructor(sql: SqlStorage, limit: number = DEFAULT_SPACE_LIMIT) {
    this.sql = sql;
    this.limit = limit;
    sql.exec(`CREATE TABLE IF NOT EXISTS spaces (
      chat_guid TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      phone TEXT,
      display_name TEXT,
      last_seen INTEGER NOT NULL
    )`);
    // No index on last_seen: it cost a row written per sighting recorded, for an eviction that reads
    // the table (at most `limit` rows, a read at a thousandth of a write's price) once per `limit / 10`
    // new spaces after it is full (see `evict`).
    sql.exec("DROP INDEX IF EXISTS spaces_last_seen");
  }

  /**
   * Remembers (or refreshes) a space and evicts the least recently seen beyond the bound; returns how
   * many were evicted. What a row keeps is bounded: a chat GUID over {@link MAX_SPACE_ID_LENGTH}
   * characters is not remembered, a display name is cut, an implausible phone line is left out.
   */
  record(sighting: SpaceSighting, now = Date.now()): number {
    if (typeof sighting.chatGuid !== "string" || sighting.chatGuid.length === 0 || sighting.chatGuid.length > MAX_SPACE_ID_LENGTH) return 0;
    const phone = typeof sighting.phone === "string" && sighting.phone.length <= MAX_PHONE_LENGTH ? sighting.phone : null;
    const displayName = typeof sighting.displayName === "string" ? cut(sighting.displayName, MAX_DISPLAY_NAME_LENGTH) : null;
    const type = sighting.type === "group" ? "group" : "dm";
    const row = this.sql.exec<SpaceRow>("SELECT * FROM spaces WHERE chat_guid = ?", sighting.chatGuid).toArray()[0];
    const unchanged = row && row.type === type && (phone === null || phone === row.phone) && (displayName === null || displayName === row.display_name);
    if (unchanged && now - row.last_seen < SPACE_REFRESH_MS) {
      // Nothing to write: only the eviction order needs this sighting, and it reads it from memory.
      this.seen.set(sighting.chatGuid, Math.max(now, this.seen.get(sighting.chatGuid) ?? 0));
      return 0;
    }
    this.seen.delete(sighting.chatGuid);
    this.sql.exec(
      `INSERT INTO spaces (chat_guid, type, phone, display_name, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (chat_guid) DO UPDATE SET
         type = excluded.type,
         phone = COALESCE(excluded.phone, spaces.phone),
         display_name = COALESCE(excluded.display_name, spaces.display_name),
         last_seen = MAX(excluded.last_seen, spaces.last_seen)`,
      sighting.chatGuid,
      type,
      phone,
      displayName,
      now,
    );
    // The count is read once per instance, then kept: a COUNT(*) per sighting reads every row.
    if (this.count === undefined) this.count = this.size();
    else if (!row) this.count++;
    return this.evict();
  }

  lookup(chatGuid: string): SpaceRecord | null {
    const row = this.sql.exec<SpaceRow>("SELECT * FROM spaces WHERE chat_guid = ?", chatGuid).toArray()[0];
    return row ? toRecord({ ...row, last_seen: Math.max(row.last_seen, this.seen.get(chatGuid) ?? 0) }) : null;
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM spaces").one().n;
  }

  /**
   * Once over the bound, evicts the least recently seen down to the bound less a tenth of it, so the
   * scan for them (no index) runs once per `limit / 10` new spaces, not for each.
   */
  private evict(): number {
    const count = this.count ?? this.size();
    if (count <= this.limit) return 0;
    const excess = count - this.limit + Math.floor(this.limit / 10);
    this.count = count - excess;
    // The least recently seen is decided on the true times: write the sightings kept in memory first.
    for (const [chatGuid, at] of this.seen) this.sql.exec("UPDATE spaces SET last_seen = ? WHERE chat_guid = ? AND last_seen < ?", at, chatGuid, at);
    this.seen.clear();
    this.sql.exec(
      "DELETE FROM spaces WHERE chat_guid IN (SELECT chat_guid FROM spaces ORDER BY last_seen ASC, chat_guid ASC LIMIT ?)",
      excess,
    );
    return excess;
  }
}
