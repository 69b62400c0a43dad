/**
 * @module chat-adapter-imessage/spectrum
 * The opt-in spectrum-ts app of the gateway Durable Object, and the spectrum-ts iMessage provider it
 * runs on workerd (HTTP transport instead of gRPC). Importing this entry adds spectrum-ts to the
 * Worker's bundle; its link previews import `open-graph-scraper`, which cannot load on workerd, so
 * alias it to the stub this package ships, in wrangler.toml:
 *
 * ```toml
 * [alias]
 * "open-graph-scraper" = "chat-adapter-imessage/open-graph-scraper-stub"
 * ```
 *
 * @example
 * ```ts
 * import { gatewaySpectrum } from "chat-adapter-imessage/spectrum";
 * export class GatewayDO extends createGatewayDurableObject(createBot, {
 *   spectrum: gatewaySpectrum({ onSpectrumMessage: async (space, message) => await space.send(`seen ${message.id}`) }),
 * }) {}
 * ```
 */
export {
  gatewaySpectrum,
  GatewaySpectrum,
  type GatewaySpectrumApp,
  type GatewaySpectrumOptions,
  type SpectrumHooks,
} from "./gateway/spectrum-app.ts";
export { httpIMessage, IMESSAGE_PLATFORM } from "./gateway/http-imessage-provider.ts";
export { RecordInbox } from "./gateway/spectrum-inbox.ts";
export { recordOf, type InboundRecord } from "./gateway/spectrum-inbound.ts";
export type {
  AttachmentBytes,
  GatewaySpectrumHolder,
  GatewaySpectrumPlugin,
  IMessageSpaceRef,
  SpectrumEventSummary,
  SpectrumSource,
  SpectrumStatus,
} from "./gateway/spectrum-source.ts";
