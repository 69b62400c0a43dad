/**
 * @module gateway/spectrum-source
 * What the gateway Durable Object and its optional spectrum-ts app share, without importing
 * spectrum-ts: a Worker that does not plug the app in (`chat-adapter-imessage/spectrum`) bundles none of it.
 */
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import type { ResolvedConfig } from "../core/config.ts";
import type { Transport } from "../transport/clients.ts";

/** The space of an iMessage record: chat GUID, kind and the phone line it arrived on. */
export type IMessageSpaceRef = {
  id: string;
  type: "dm" | "group";
  phone?: string;
};

/** Reads an inbound attachment's bytes (bytes never travel in the envelope). */
export type AttachmentBytes = (attachmentId: string, space: IMessageSpaceRef) => Promise<Uint8Array>;

/** What building the app needs from the gateway. */
export interface SpectrumSource {
  config: ResolvedConfig;
  /** The project's HTTP transport (undefined in local mode). */
  transport: Transport | undefined;
  attachmentBytes: AttachmentBytes;
  /** The phone line a known chat was seen on, so sends to it use that line. */
  phoneOf?: (chatGuid: string) => string | undefined;
}

/** One message as the app's stream delivered it (strings longer than 500 characters are cut). */
export interface SpectrumEventSummary {
  id: string;
  platform: string;
  spaceId: string;
  direction: "inbound" | "outbound";
  sender: string | undefined;
  contentType: string;
  text: string | undefined;
  /** ISO time of the message; undefined only when spectrum-ts holds no valid date for it. */
  timestamp: string | undefined;
}

/** What the gateway's spectrum-ts app has seen. */
export interface SpectrumStatus {
  /** Messages the app's stream delivered since it was built. */
  delivered: number;
  /** The latest of them, oldest first. */
  events: SpectrumEventSummary[];
}

/** The app as one gateway object holds it: built on first use, fed every envelope the gateway sees. */
export interface GatewaySpectrumHolder<App> {
  /** The app, built on first use. */
  app(): Promise<App>;
  /** Hands an envelope to the app's message stream. */
  feed(envelope: SlimEnvelope): Promise<void>;
  /** What the app's stream has delivered. */
  recent(): SpectrumStatus;
  /** Stops the app; the next use builds a new one. */
  stop(): Promise<void>;
}

/**
 * Plugs an app into a gateway class: called once per gateway object with a way to read the adapter's
 * config and transport (called when the app is first built) and the object's env.
 * `gatewaySpectrum()` from `chat-adapter-imessage/spectrum` makes one.
 */
export type GatewaySpectrumPlugin<E, App> = (source: () => Promise<SpectrumSource>, env: E) => GatewaySpectrumHolder<App>;
