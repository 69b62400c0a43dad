/**
 * @module core/bytes
 * Base64 as the wire uses it (Standard Webhooks signatures and secrets, relayed request bodies): the
 * forgiving decoding of the WHATWG `atob` — ASCII whitespace ignored, padding optional — returning
 * undefined instead of throwing on anything else.
 */

/**
 * The bytes of standard base64 (`+/`, padding optional), or undefined when `value` is not base64.
 *
 * @example
 * ```ts
 * base64ToBytes("aGk="); // Uint8Array [104, 105]
 * base64ToBytes("aGk"); // the same
 * base64ToBytes("!"); // undefined
 * ```
 */
export function base64ToBytes(value: string): Uint8Array<ArrayBuffer> | undefined {
  const body = value.replace(/[\t\n\f\r ]/g, "").replace(/={1,2}$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(body) || body.length % 4 === 1) return undefined;
  const binary = atob(body + "=".repeat((4 - (body.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
