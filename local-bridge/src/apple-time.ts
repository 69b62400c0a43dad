/**
 * @module local-bridge/apple-time
 * Converts Messages database timestamps (Apple epoch, 2001-01-01 UTC) to JavaScript dates.
 */

/** Seconds between the Unix epoch and the Apple epoch (2001-01-01T00:00:00Z). */
export const APPLE_EPOCH_OFFSET_SECONDS = 978_307_200;

/** Values above this are nanoseconds (macOS 10.13+); older databases store whole seconds. */
const NANOSECOND_THRESHOLD = 1e11;

/**
 * Turns a `message.date` (or `date_edited`, `date_retracted`) value into a `Date`, accepting both
 * nanoseconds and seconds. 0 and NULL mean "no date" in the Messages database (rows written before the
 * date is known, unset edit stamps) and give undefined, never 2001-01-01.
 *
 * @example
 * ```ts
 * appleTimeToDate(785_000_000_000_000_000n); // nanoseconds since 2001
 * appleTimeToDate(0); // undefined
 * ```
 */
export function appleTimeToDate(value: number | bigint | null | undefined): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const raw = typeof value === "bigint" ? Number(value) : value;
  if (raw === 0 || !Number.isFinite(raw)) return undefined;
  const seconds = Math.abs(raw) > NANOSECOND_THRESHOLD ? raw / 1e9 : raw;
  return new Date(Math.round((seconds + APPLE_EPOCH_OFFSET_SECONDS) * 1000));
}

/**
 * Turns a `Date` into nanoseconds since the Apple epoch, as recent macOS writes `message.date`.
 *
 * @example
 * ```ts
 * dateToAppleNanoseconds(new Date("2001-01-01T00:00:01Z")); // 1_000_000_000
 * ```
 */
export function dateToAppleNanoseconds(date: Date): number {
  return (date.getTime() - APPLE_EPOCH_OFFSET_SECONDS * 1000) * 1e6;
}
