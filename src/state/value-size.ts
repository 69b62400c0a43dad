/**
 * @module state/value-size
 * Sizes of Chat SDK state values (JSON text): the cap a value must fit in, and how a big value is cut
 * into pieces a Durable Object SQLite cell accepts. Shared by the state client and `ChatStateDO`.
 */

const MiB = 1024 * 1024;

/**
 * Largest piece of a value stored in one SQLite cell, in UTF-8 bytes. Deployed SQLite Durable Objects
 * refuse a string, BLOB or row over 2 MB (`SQLITE_TOOBIG`; `wrangler dev` does not enforce it): 1 MiB
 * leaves room for the key and the other columns. A value that fits is stored as before, in its own row.
 */
export const CHUNK_BYTES = 1 * MiB;

/**
 * Largest value, in UTF-8 bytes. Every value crosses Durable Object RPC, whose messages are limited to
 * 32 MiB; a string holding any character beyond Latin-1 travels as UTF-16, two bytes a code unit, and
 * a code unit is at least one UTF-8 byte: 15 MiB of UTF-8 is at most 30 MiB on the wire.
 */
export const MAX_VALUE_BYTES = 15 * MiB;

/** The Durable Object RPC limit on a message (arguments or result), in bytes. */
export const RPC_LIMIT_BYTES = 32 * MiB;

/** A state value over {@link MAX_VALUE_BYTES}. */
export class StateValueTooLargeError extends Error {
  override readonly name = "StateValueTooLargeError";
  readonly key: string;
  readonly bytes: number;

  constructor(key: string, bytes: number) {
    super(
      `Chat state value for "${key}" is ${(bytes / MiB).toFixed(1)} MiB of JSON; the limit is ${MAX_VALUE_BYTES / MiB} MiB ` +
        `(Durable Object RPC messages are limited to ${RPC_LIMIT_BYTES / MiB} MiB, and a string may travel as UTF-16). ` +
        `Keep large data in R2 or KV and store a reference in state.`,
    );
    this.key = key;
    this.bytes = bytes;
  }
}

const encoder = new TextEncoder();
let scratch: Uint8Array | undefined;

/**
 * Walks `value` in runs of at most `maxBytes` UTF-8 bytes, never splitting a character (`encodeInto`
 * writes whole code points only). Calls `onRun(start, end, bytes)` per run of code units.
 */
function walkUtf8(value: string, maxBytes: number, onRun: (start: number, end: number, bytes: number) => void): void {
  const buffer = scratch && scratch.length >= maxBytes ? scratch.subarray(0, maxBytes) : (scratch = new Uint8Array(maxBytes));
  for (let start = 0; start < value.length; ) {
    // Every code unit is at least one byte: no more than `maxBytes` of them fit.
    const { read, written } = encoder.encodeInto(value.substring(start, start + maxBytes), buffer);
    if (!read) throw new Error(`utf8: a character is wider than ${maxBytes} bytes`);
    onRun(start, start + read, written);
    start += read;
  }
}

/** UTF-8 size of `value`, in bytes, without allocating its encoding. */
export function utf8Bytes(value: string): number {
  let total = 0;
  walkUtf8(value, CHUNK_BYTES, (_start, _end, bytes) => (total += bytes));
  return total;
}

/** Throws {@link StateValueTooLargeError} when `value` is over {@link MAX_VALUE_BYTES}. Cheap for short values. */
export function assertValueSize(key: string, value: string): void {
  if (value.length * 3 <= MAX_VALUE_BYTES) return; // at most 3 UTF-8 bytes per UTF-16 code unit
  const bytes = utf8Bytes(value);
  if (bytes > MAX_VALUE_BYTES) throw new StateValueTooLargeError(key, bytes);
}

/**
 * `value` cut into pieces of at most `maxBytes` UTF-8 bytes each, on character boundaries; `[value]`
 * when it fits in one. Joining the pieces gives `value` back exactly.
 */
export function splitUtf8(value: string, maxBytes: number = CHUNK_BYTES): string[] {
  if (value.length * 3 <= maxBytes) return [value];
  const pieces: string[] = [];
  walkUtf8(value, maxBytes, (start, end) => pieces.push(value.slice(start, end)));
  return pieces.length ? pieces : [value];
}
