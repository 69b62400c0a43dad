/**
 * @module local-bridge/bplist
 * Reads Apple binary property lists (`bplist00`), the format of `message.message_summary_info`.
 *
 * Layout: the 8-byte magic `bplist00`, the objects, an offset table, and a 32-byte trailer (6 unused
 * bytes, the offset size, the object-reference size, then the object count, the top object and the
 * offset table's position as big-endian 64-bit integers). Each object starts with a marker byte whose
 * high nibble is its type and low nibble its length (15 = an integer object with the length follows).
 */

/** A value of a property list: dictionaries become plain objects, `data` becomes bytes. */
export type PlistValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | Uint8Array
  | PlistValue[]
  | { [key: string]: PlistValue };

const MAGIC = "bplist00";
const TRAILER_SIZE = 32;
/** Seconds between the Unix epoch and the property-list epoch (2001-01-01T00:00:00Z). */
const PLIST_EPOCH_SECONDS = 978_307_200;
/** Nesting deeper than this is treated as malformed (a reference cycle cannot recurse forever). */
const MAX_DEPTH = 64;

/** True when the bytes start with the binary property-list magic. */
export function isBinaryPlist(bytes: Uint8Array | null | undefined): bytes is Uint8Array {
  return !!bytes && bytes.length > MAGIC.length + TRAILER_SIZE && Buffer.from(bytes.subarray(0, 8)).toString("latin1") === MAGIC;
}

/**
 * The top object of a binary property list, or undefined when the bytes are not one or are damaged.
 *
 * @example
 * ```ts
 * const info = readBinaryPlist(row.message_summary_info); // { otr: {…}, ec: {…}, rp: [0] }
 * ```
 */
export function readBinaryPlist(bytes: Uint8Array | null | undefined): PlistValue | undefined {
  if (!isBinaryPlist(bytes)) return undefined;
  try {
    return new Reader(bytes).top();
  } catch {
    return undefined;
  }
}

class Reader {
  private readonly view: DataView;
  private readonly offsets: number[] = [];
  private readonly refSize: number;
  private readonly topIndex: number;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trailer = bytes.length - TRAILER_SIZE;
    const offsetSize = this.view.getUint8(trailer + 6);
    this.refSize = this.view.getUint8(trailer + 7);
    const count = Number(this.view.getBigUint64(trailer + 8));
    this.topIndex = Number(this.view.getBigUint64(trailer + 16));
    const tableAt = Number(this.view.getBigUint64(trailer + 24));
    if (offsetSize < 1 || offsetSize > 8 || this.refSize < 1 || this.refSize > 8) throw new RangeError("bad sizes");
    if (tableAt + count * offsetSize > trailer) throw new RangeError("offset table out of range");
    for (let index = 0; index < count; index++) this.offsets.push(this.unsigned(tableAt + index * offsetSize, offsetSize));
  }

  top(): PlistValue {
    return this.object(this.topIndex, 0);
  }

  private unsigned(at: number, size: number): number {
    let value = 0;
    for (let index = 0; index < size; index++) value = value * 256 + this.byte(at + index);
    return value;
  }

  private byte(at: number): number {
    if (at < 0 || at >= this.bytes.length) throw new RangeError("read past the end");
    return this.bytes[at] as number;
  }

  /** The length in a marker's low nibble, or the integer object after it; returns where the payload starts. */
  private length(at: number, nibble: number): { length: number; start: number } {
    if (nibble !== 0x0f) return { length: nibble, start: at + 1 };
    const marker = this.byte(at + 1);
    if (marker >> 4 !== 0x1) throw new RangeError("length is not an integer");
    const size = 1 << (marker & 0x0f);
    return { length: this.unsigned(at + 2, size), start: at + 2 + size };
  }

  private object(index: number, depth: number): PlistValue {
    const at = this.offsets[index];
    if (at === undefined || depth > MAX_DEPTH) throw new RangeError("bad object reference");
    const marker = this.byte(at);
    const type = marker >> 4;
    const nibble = marker & 0x0f;
    switch (type) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        return null;
      case 0x1:
        return this.integer(at + 1, 1 << nibble);
      case 0x2:
        return nibble === 2 ? this.view.getFloat32(at + 1) : this.view.getFloat64(at + 1);
      case 0x3:
        return new Date((this.view.getFloat64(at + 1) + PLIST_EPOCH_SECONDS) * 1000);
      case 0x4: {
        const { length, start } = this.length(at, nibble);
        return this.bytes.slice(start, start + length);
      }
      case 0x5: {
        const { length, start } = this.length(at, nibble);
        return Buffer.from(this.bytes.subarray(start, start + length)).toString("latin1");
      }
      case 0x6: {
        const { length, start } = this.length(at, nibble);
        const swapped = Buffer.from(this.bytes.subarray(start, start + length * 2)).swap16();
        return swapped.toString("utf16le");
      }
      case 0x8:
        return this.unsigned(at + 1, nibble + 1);
      case 0xa: {
        const { length, start } = this.length(at, nibble);
        return Array.from({ length }, (_, item) => this.object(this.unsigned(start + item * this.refSize, this.refSize), depth + 1));
      }
      case 0xd: {
        const { length, start } = this.length(at, nibble);
        const dictionary: { [key: string]: PlistValue } = {};
        for (let item = 0; item < length; item++) {
          const key = this.object(this.unsigned(start + item * this.refSize, this.refSize), depth + 1);
          const value = this.object(this.unsigned(start + (length + item) * this.refSize, this.refSize), depth + 1);
          dictionary[String(key)] = value;
        }
        return dictionary;
      }
      default:
        throw new RangeError(`unsupported object type 0x${type.toString(16)}`);
    }
  }

  private integer(at: number, size: number): number | bigint {
    if (size === 8) {
      const value = this.view.getBigInt64(at);
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
    if (size === 16) return this.view.getBigInt64(at + 8);
    return this.unsigned(at, size);
  }
}
