/**
 * @module adapter/outbound/media-input
 * Bytes for the extras that send media (a voice note, a chat background, a mini-app image): from
 * bytes, a Blob, a Chat SDK `FileUpload`, or an http(s) URL fetched at send time.
 */
import type { FileUpload } from "chat";
import { ValidationError } from "../../core/errors.ts";

/** In-memory media: raw bytes, a `Blob`, or a Chat SDK `FileUpload`. */
export type MediaBytes = Uint8Array | ArrayBuffer | Blob | FileUpload;

/** Media from memory, or an `http(s)` URL (a `URL` or a string) fetched when sending. Local paths are not accepted. */
export type MediaInput = MediaBytes | URL | string;

/** Optional metadata; the MIME type is otherwise taken from the upload, the Blob, the name's extension or the response. */
export interface MediaOptions {
  /** MIME type of the media (`audio/*` for voice, `image/*` for backgrounds). */
  mimeType?: string;
  /** File name; its extension also tells the MIME type. */
  name?: string;
}

/** Media read into bytes, with a MIME type of the expected family and a file name carrying its extension. */
export interface ResolvedMedia {
  data: Uint8Array;
  mimeType: string;
  name: string;
}

const TYPES_BY_EXTENSION: Record<string, string> = {
  m4a: "audio/mp4",
  mp4a: "audio/mp4",
  aac: "audio/aac",
  caf: "audio/x-caf",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  ogg: "audio/ogg",
  opus: "audio/opus",
  amr: "audio/amr",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  heic: "image/heic",
  webp: "image/webp",
};

const EXTENSION_BY_TYPE: Record<string, string> = {
  "audio/mp4": "m4a",
  "audio/x-m4a": "m4a",
  "audio/m4a": "m4a",
  "audio/aac": "aac",
  "audio/x-caf": "caf",
  "audio/mpeg": "mp3",
  "audio/wav": "wav",
  "audio/ogg": "ogg",
  "audio/opus": "opus",
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/heic": "heic",
  "image/webp": "webp",
};

function extensionOf(name: string | undefined): string | undefined {
  const match = name ? /\.([a-z0-9]+)$/i.exec(name) : null;
  return match?.[1]?.toLowerCase();
}

function isFileUpload(input: unknown): input is FileUpload {
  return typeof input === "object" && input !== null && "filename" in input && "data" in input;
}

function httpUrl(input: URL | string, operation: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(String(input));
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new ValidationError(
      `${operation} takes bytes, a Blob, a FileUpload or an http(s) URL, got the string "${String(input).slice(0, 80)}": local file paths are not accepted, read the file into bytes first`,
    );
  }
  return url;
}

async function toBytes(data: Uint8Array | ArrayBuffer | Blob): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(await (data as Blob).arrayBuffer());
}

/** Where the bytes came from, before the MIME type is settled. */
interface Loaded {
  data: Uint8Array;
  mimeType: string | undefined;
  name: string | undefined;
}

async function load(input: MediaInput, operation: string): Promise<Loaded> {
  if (typeof input === "string" || input instanceof URL) {
    const url = httpUrl(input, operation);
    const response = await fetch(url);
    if (!response.ok) throw new ValidationError(`${operation} could not fetch ${url.href}: HTTP ${response.status}`);
    const type = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    return {
      data: new Uint8Array(await response.arrayBuffer()),
      mimeType: type && type !== "application/octet-stream" ? type : undefined,
      name: decodeURIComponent(url.pathname.split("/").pop() ?? "") || undefined,
    };
  }
  if (isFileUpload(input)) return { data: await toBytes(input.data), mimeType: input.mimeType, name: input.filename };
  if (input instanceof Blob) return { data: await toBytes(input), mimeType: input.type || undefined, name: undefined };
  return { data: await toBytes(input), mimeType: undefined, name: undefined };
}

/**
 * Reads media for an extra and checks it is of the expected family (`audio` or `image`).
 *
 * @throws ValidationError when the input is a non-URL string, the URL does not answer 2xx, the media
 *   is empty, or no `audio/*` / `image/*` MIME type can be found (pass `options.mimeType` or a `name`
 *   with an extension).
 * @example
 * ```ts
 * const voice = await readMedia(ttsBytes, { mimeType: "audio/mp4" }, "audio", "sendVoice");
 * // { data: Uint8Array, mimeType: "audio/mp4", name: "voice.m4a" }
 * ```
 */
export async function readMedia(
  input: MediaInput,
  options: MediaOptions,
  family: "audio" | "image",
  operation: string,
): Promise<ResolvedMedia> {
  const loaded = await load(input, operation);
  if (loaded.data.byteLength === 0) throw new ValidationError(`${operation} got no bytes: the ${family} is empty`);
  const name = options.name ?? loaded.name;
  const fromName = TYPES_BY_EXTENSION[extensionOf(name) ?? ""];
  const mimeType = (options.mimeType ?? loaded.mimeType ?? fromName)?.toLowerCase();
  if (!mimeType?.startsWith(`${family}/`)) {
    throw new ValidationError(
      mimeType
        ? `${operation} needs ${family}/* media, got ${mimeType}`
        : `${operation} cannot tell the media type: pass options.mimeType (e.g. "${family === "audio" ? "audio/mp4" : "image/jpeg"}") or options.name with an extension`,
    );
  }
  const extension = EXTENSION_BY_TYPE[mimeType] ?? mimeType.slice(family.length + 1).replace(/^x-/, "");
  const base = name ?? (family === "audio" ? "voice" : "background");
  return { data: loaded.data, mimeType, name: extensionOf(base) ? base : `${base}.${extension}` };
}
