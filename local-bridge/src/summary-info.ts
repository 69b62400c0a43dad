/**
 * @module local-bridge/summary-info
 * What `message.message_summary_info` says about edits and unsends of a message's parts.
 *
 * Facts (from the open Messages-database parser imessage-exporter and rows of macOS 26): the column is a
 * binary property list. `otr` is a dictionary keyed by the message's body-part indexes; `ec` maps the
 * index of each edited part to its edit history (`d` date, `t` typedstream text); `rp` lists the indexes
 * of parts that were unsent ("retracted parts"). A message whose every part is in `rp` was unsent.
 * The property list is read by `@parseaple/bplist`.
 */
import { parseBuffer } from "@parseaple/bplist";

/** A value of a property list as the library returns it (dictionaries are plain objects). */
type PlistValue = ReturnType<typeof parseBuffer>[number];

/** Edits and unsends recorded for one message. */
export interface SummaryInfo {
  /** Part indexes with an edit history (`ec`), ascending. */
  editedParts: number[];
  /** Part indexes that were unsent (`rp`), ascending. */
  retractedParts: number[];
  /** How many body parts `otr` lists (undefined when it is absent). */
  partCount: number | undefined;
}

function isDictionary(value: PlistValue | undefined): value is { [key: string]: PlistValue } {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The top object of a binary property list, or undefined when the bytes are not one or are damaged. */
function readBinaryPlist(blob: Uint8Array | null | undefined): PlistValue | undefined {
  if (!blob || blob.length === 0) return undefined;
  try {
    return parseBuffer(Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength))[0];
  } catch {
    return undefined;
  }
}

function indexes(values: Iterable<unknown>): number[] {
  const parts = new Set<number>();
  for (const value of values) {
    const index = typeof value === "bigint" ? Number(value) : typeof value === "string" ? Number(value) : value;
    if (typeof index === "number" && Number.isInteger(index) && index >= 0) parts.add(index);
  }
  return [...parts].sort((a, b) => a - b);
}

/**
 * Reads `message_summary_info`; undefined when the column is empty or not a property list.
 *
 * @example
 * ```ts
 * readSummaryInfo(row.message_summary_info); // { editedParts: [], retractedParts: [0], partCount: 1 }
 * ```
 */
export function readSummaryInfo(blob: Uint8Array | null | undefined): SummaryInfo | undefined {
  const root = readBinaryPlist(blob);
  if (!isDictionary(root)) return undefined;
  const otr = root.otr;
  const ec = root.ec;
  const rp = root.rp;
  return {
    editedParts: isDictionary(ec) ? indexes(Object.keys(ec)) : [],
    retractedParts: Array.isArray(rp) ? indexes(rp) : [],
    partCount: isDictionary(otr) ? Object.keys(otr).length : undefined,
  };
}
