/**
 * @module local-bridge/typedstream
 * Reads the text of an `attributedBody` blob: an NSAttributedString archived as an Apple typedstream
 * (`04 0b "streamtyped"` header). Decoding is done by `@parseaple/typedstream`; this module only
 * decides what counts as a typedstream and picks the text out of what the library returns.
 */
import { NSString, TypedStreamReader, Unarchiver } from "@parseaple/typedstream";

/** Classes whose archived contents are the message text (an NSAttributedString's first value is one). */
const STRING_CLASSES = new Set(["NSString", "NSMutableString"]);

function asBuffer(blob: Uint8Array): Buffer {
  return Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
}

/** True when the blob starts with a typedstream header the library accepts (`streamtyped`, little-endian). */
export function isTypedStream(blob: Uint8Array): boolean {
  try {
    return new TypedStreamReader(asBuffer(blob)).byteOrder !== undefined;
  } catch {
    return false;
  }
}

/**
 * The plain text of an `attributedBody` blob, or undefined when the blob is not a typedstream
 * NSAttributedString or is truncated.
 *
 * @example
 * ```ts
 * const text = row.text ?? decodeAttributedBody(row.attributedBody);
 * ```
 */
export function decodeAttributedBody(blob: Uint8Array | null | undefined): string | undefined {
  if (!blob || !isTypedStream(blob)) return undefined;
  const bytes = asBuffer(blob);
  try {
    // `none`: attribute values holding nested archives are skipped; only the text is wanted.
    const root: unknown = Unarchiver.open(bytes, Unarchiver.BinaryDecoding.none).decodeSingleRoot();
    if (root instanceof NSString) return root.string;
  } catch {
    // The attribute runs could not be decoded (or the blob ends early): fall back to the string alone.
  }
  return firstString(bytes);
}

/**
 * The contents of the first NSString / NSMutableString object in the stream, read with the library's
 * event reader. This still yields the text when the attribute runs after it cannot be decoded (an
 * unknown class version, an attribute the library does not model, a blob that stops after the string).
 */
function firstString(bytes: Buffer): string | undefined {
  try {
    const events = new TypedStreamReader(bytes)[Symbol.iterator]();
    let inString = false;
    for (let event = events.next(); !event.done; event = events.next()) {
      const value = event.value;
      if (typeof value === "object" && value !== null && "name" in value && typeof value.name === "string") {
        inString ||= STRING_CLASSES.has(value.name);
      } else if (inString && Buffer.isBuffer(value)) {
        // The reader does not bounds-check byte strings: a truncated one only shows when the next
        // read (the end-of-object marker after the synthetic end-of-values event) runs past the end.
        events.next();
        events.next();
        return value.toString("utf8");
      }
    }
  } catch {
    // truncated or not an archive
  }
  return undefined;
}
