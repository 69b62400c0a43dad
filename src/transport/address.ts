/**
 * @module transport/address
 * The HTTP origin of an iMessage server from its `host:port`: https, except plain http on loopback.
 */

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/**
 * Maps a `host:port` (or an explicit URL) to the origin the HTTP transport calls.
 *
 * @example
 * ```ts
 * httpOrigin("imessage.example.com:443"); // "https://imessage.example.com:443"
 * httpOrigin("127.0.0.1:8788"); // "http://127.0.0.1:8788"
 * ```
 */
export function httpOrigin(address: string): string {
  const trimmed = address.trim().replace(/\/+$/, "");
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  const host = trimmed.startsWith("[") ? trimmed.slice(0, trimmed.indexOf("]") + 1) : (trimmed.split(":")[0] ?? "");
  return `${LOOPBACK.test(host) ? "http" : "https"}://${trimmed}`;
}
