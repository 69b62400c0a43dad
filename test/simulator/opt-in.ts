/**
 * @module Shared-line opt-in: Spectrum refuses writes to a recipient who has not texted the project's
 * shared number yet (or accepted an invite) with HTTP 403 `{code: "permission_denied"}`.
 *
 * The simulator lets every recipient through unless told otherwise: `POST /__sim/opt-in {pending}`
 * lists addresses that have not opted in. Writes to their DM (or a new chat naming them) on a
 * shared-mode token are refused until they text the line — an inbound message from them through
 * `/__sim/deliver` or `/__sim/inbound` opts them in, as it would on the real line.
 */
import { SimError } from "./errors.ts";

/** What the gate needs to know of a request. */
export interface OptInTarget {
  method: string;
  path: string;
  /** The body's chat GUID, when it names one. */
  chatGuid: string | undefined;
  /** The parsed JSON body. */
  body: unknown;
}

/** The address of a DM GUID (`any;-;+1555…`, also the service-prefixed spellings). */
function dmAddress(chatGuid: string | undefined): string | undefined {
  const match = chatGuid?.match(/^[^;]+;-;(.+)$/);
  return match?.[1];
}

/** Addresses that have not opted in to the shared line. */
export class OptInGate {
  private readonly pending = new Set<string>();

  /** Marks addresses as not opted in (their DMs are refused from now on). */
  require(addresses: readonly string[]): void {
    for (const address of addresses) this.pending.add(address.trim());
  }

  /** The address texted the line: it is opted in from now on. */
  optIn(address: string | undefined): void {
    if (address) this.pending.delete(address.trim());
  }

  list(): string[] {
    return [...this.pending];
  }

  clear(): void {
    this.pending.clear();
  }

  /** The refusal for a write to a recipient who has not opted in, or undefined when it may go. */
  check(target: OptInTarget): SimError | undefined {
    if (this.pending.size === 0 || target.method !== "POST" || !target.path.startsWith("/v1/")) return undefined;
    const addresses =
      target.path === "/v1/chats"
        ? ((target.body as { addresses?: unknown } | undefined)?.addresses as unknown[] | undefined)?.filter((a): a is string => typeof a === "string")
        : [dmAddress(target.chatGuid)];
    const refused = addresses?.find((address) => address !== undefined && this.pending.has(address.trim()));
    if (refused === undefined) return undefined;
    return new SimError(
      "permission_denied",
      "unauthorized",
      `recipient ${refused} has not opted in to this shared line: they must text the project's number first, or accept an invite`,
      { context: { recipient: refused }, source: "spectrum-imessage" },
    );
  }
}
