/**
 * @module local-bridge/typedstream
 * Reads the text of an `attributedBody` blob: an NSAttributedString archived as an Apple typedstream.
 *
 * Layout (what Messages writes): a `04 0b "streamtyped"` header and system version `81 e8 03`, then the
 * NSAttributedString object whose first value is an NSString (or NSMutableString) object. That string's
 * contents follow the type tag `84 01 2b` (a new type string "+": bytes with a length) as a length —
 * one byte below 0x80, `81` + int16 LE or `82` + int32 LE — and UTF-8 bytes.
 */

const SIGNATURE = "streamtyped";
const NSSTRING = Buffer.from("NSString", "latin1");
const STRING_CONTENTS_TAG = Buffer.from([0x84, 0x01, 0x2b]);
const INT16_FOLLOWS = 0x81;
const INT32_FOLLOWS = 0x82;

/** True when the blob starts with the typedstream header Messages writes. */
export function isTypedStream(blob: Uint8Array): boolean {
  return (
    blob.length > 13 &&
    blob[0] === 0x04 &&
    blob[1] === SIGNATURE.length &&
    Buffer.from(blob.buffer, blob.byteOffset + 2, SIGNATURE.length).toString("latin1") === SIGNATURE
  );
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
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const classAt = bytes.indexOf(NSSTRING, 13);
  if (classAt < 0) return undefined;
  const tagAt = bytes.indexOf(STRING_CONTENTS_TAG, classAt + NSSTRING.length);
  if (tagAt < 0) return undefined;
  const length = readLength(bytes, tagAt + STRING_CONTENTS_TAG.length);
  if (!length) return undefined;
  const end = length.start + length.value;
  if (end > bytes.length) return undefined;
  return bytes.toString("utf8", length.start, end);
}

function readLength(bytes: Buffer, at: number): { value: number; start: number } | undefined {
  const first = bytes[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { value: first, start: at + 1 };
  if (first === INT16_FOLLOWS && at + 3 <= bytes.length) return { value: bytes.readUInt16LE(at + 1), start: at + 3 };
  if (first === INT32_FOLLOWS && at + 5 <= bytes.length) return { value: bytes.readUInt32LE(at + 1), start: at + 5 };
  return undefined;
}
