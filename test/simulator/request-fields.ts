/**
 * @module simulator/request-fields
 * Reading the simulated iMessage server's requests as the server does: JSON object bodies, typed
 * fields and query parameters (each refusal an `invalidArgument` naming the field), and page tokens.
 */
import type { Context } from "hono";
import { invalidArgument } from "./errors.ts";
import type { SimMessage } from "./world-types.ts";
import { REACTION_KINDS } from "./world.ts";

/** A JSON object body. */
export type Json = Record<string, unknown>;

export function json(data: unknown): Response {
  return new Response(JSON.stringify(data), { headers: { "content-type": "application/json" } });
}

export async function readBody(c: Context): Promise<Json> {
  const text = await c.req.text();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument("body", "request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalidArgument("body", "request body must be a JSON object");
  return parsed as Json;
}

export function str(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidArgument(field, `${field} must be a string`);
  return value;
}

export function requiredText(body: Json, field: string): string {
  const value = str(body, field);
  if (value === undefined || value.trim() === "") throw invalidArgument(field, `${field} must not be empty`);
  return value;
}

export function obj(body: Json, field: string): Json | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidArgument(field, `${field} must be an object`);
  return value as Json;
}

export function bool(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidArgument(field, `${field} must be true or false`);
}

export function time(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(field, `${field} must be an RFC 3339 timestamp`);
  return ms;
}

export function server(c: Context): string | undefined {
  return c.req.header("x-photon-server") ?? undefined;
}


export function pageSize(value: string | undefined): number {
  if (value === undefined) return 25;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > 100) throw invalidArgument("pageSize", "pageSize must be between 1 and 100");
  return size;
}

export function decodePageToken(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const match = /^rowid:(\d+)$/.exec(atob(value.replace(/-/g, "+").replace(/_/g, "/")));
  if (!match) throw invalidArgument("pageToken", "pageToken is not one this server issued");
  return Number(match[1]);
}

export function encodePageToken(rowid: number): string {
  return btoa(`rowid:${rowid}`).replace(/=+$/, "");
}

/** Text formatting ranges of a send. */
export function formatting(body: Json): SimMessage["formatting"] {
  const value = body.formatting;
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgument("formatting", "formatting must be an array");
  return value.map((f: Json) => ({
    type: String(f.type ?? ""),
    start: Number(f.start ?? 0),
    length: Number(f.length ?? 0),
    ...(f.effectName !== undefined ? { effectName: String(f.effectName) } : {}),
  }));
}

/** The proto enum name of a reaction kind given by number or name (stickers are not set this way). */
export function reactionKind(value: unknown): string {
  if (value === undefined) return "MESSAGE_REACTION_KIND_LOVE";
  const name =
    typeof value === "number" ? REACTION_KINDS[value] : typeof value === "string" ? value.replace(/^MESSAGE_REACTION_KIND_/, "") : undefined;
  if (!name || !(REACTION_KINDS as readonly string[]).includes(name) || name === "STICKER") {
    throw invalidArgument("reaction.kind", `unsupported reaction kind ${String(value)}`);
  }
  return `MESSAGE_REACTION_KIND_${name}`;
}
