/**
 * @module local-bridge/apple-time
 * Converts Messages database timestamps (Apple epoch, 2001-01-01 UTC) to JavaScript dates.
 */

/** Seconds between the Unix epoch and the Apple epoch (2001-01-01T00:00:00Z). */
export const APPLE_EPOCH_OFFSET_SECONDS = 978_307_200;

/** Values above this are nanoseconds (macOS 10.13+); older databases store whole seconds. */
const NANOSECOND_THRESHOLD = 1e11;

/**
 * Turns a `message.date` value into a `Date`, accepting both nanoseconds and seconds.
 *
 * @example
 * ```ts
 * appleTimeToDate(0); // 2001-01-01T00:00:00.000Z
 * appleTimeToDate(785_000_000_000_000_000n); // nanoseconds since 2001
 * ```
 */
export function appleTimeToDate(value: number | bigint | null | undefined): Date {
  if (value === null || value === undefined) return new Date(APPLE_EPOCH_OFFSET_SECONDS * 1000);
  const raw = typeof value === "bigint" ? Number(value) : value;
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
