/**
 * @module chat-adapter-imessage/extend
 * Building blocks for another way to reach Messages with the same adapter behaviour: the thread
 * methods every mode shares, the inbound parser that turns an envelope into Chat SDK events, the
 * configuration resolver, envelopes, addresses, tapbacks and outgoing files. The macOS bridge
 * (`chat-adapter-imessage-bridge`) is built on these and nothing else of this package's internals.
 *
 * @example
 * ```ts
 * import { iMessageThreadMethods, parseInbound, slimEnvelope } from "chat-adapter-imessage/extend";
 * class MyTransportAdapter extends iMessageThreadMethods {
 *   // postMessage, editMessage, … over your transport; inbound envelopes through parseInbound
 * }
 * ```
 */
export { iMessageThreadMethods } from "./adapter/thread-methods.ts";
export { parseInbound, type InboundContext, type InboundEvent } from "./adapter/inbound/parse.ts";
export { postableFiles, type OutgoingFile } from "./adapter/postable.ts";
export { createRemoteiMessageAdapter } from "./adapter/create-core.ts";
export type { AdapterDependencies } from "./adapter/dependencies.ts";
export type { iMessageAdapter } from "./adapter/imessage-adapter.ts";
export { readEnv, resolveConfig, type iMessageAdapterOptions, type LocalConfig, type ResolvedConfig } from "./core/config.ts";
export { normalizeAddress } from "./core/addresses.ts";
export { notImplemented, NotImplementedError, ValidationError } from "./core/errors.ts";
export { decodeThreadId, encodeThreadId, type iMessageThreadId } from "./core/thread-id.ts";
export { slimEnvelope, type EnvelopeFields } from "./core/slim-envelope.ts";
export { wireEmojiOf, type TapbackKind } from "./core/tapbacks.ts";
