/**
 * @module chat-adapter-imessage
 * iMessage for Chat SDK bots, edge-first on Cloudflare Workers.
 */
export { createiMessageAdapter } from "./adapter/create.ts";
export { iMessageAdapter, type iMessageRawMessage } from "./adapter/imessage-adapter.ts";
export type { AdapterDependencies } from "./adapter/dependencies.ts";
export {
  resolveConfig,
  type iMessageAdapterOptions,
  type iMessageClientConfig,
  type ResolvedConfig,
  type TextFormatting,
} from "./core/config.ts";
export { ValidationError, NotImplementedError } from "./core/errors.ts";
export { MAX_DELIVERY_ATTEMPTS } from "./ledger/retry-policy.ts";
export { encodeThreadId, decodeThreadId, type iMessageThreadId } from "./core/thread-id.ts";
export { iMessageFormatConverter } from "./adapter/format.ts";
export { renderStyled, styledText, type StyledText, type TextStyle } from "./adapter/outbound/styled-text.ts";
export { iMessageEffect, resolveEffect, type iMessageEffectId, type iMessageEffectName } from "./adapter/outbound/effects.ts";
export type { BackgroundInput, VoiceInput, VoiceOptions } from "./adapter/outbound/extras.ts";
export type { MediaBytes, MediaInput, MediaOptions } from "./adapter/outbound/media-input.ts";
export { SPECTRUM_MINI_APP, type AppUrl, type MiniAppCard, type MiniAppCardLayout } from "./adapter/outbound/mini-app.ts";
export type { iMessageEvent, iMessageEventHandler } from "./adapter/inbound/space-events.ts";
// Also declares `message.openModal(modal)` on chat's Message type (a module augmentation).
export { modalElementOf, withOpenModal, type ModalOpener } from "./adapter/inbound/message-modal.ts";
export { tapbackFor, type TapbackKind } from "./core/tapbacks.ts";
export { createDurableObjectState } from "./state/durable-state.ts";
export { createDurableLedger, type DurableLedgerOptions } from "./ledger/durable-ledger.ts";
export { createMemoryLedger, type AcceptStatus, type DeliveryLedgerClient } from "./ledger/ledger.ts";
export { deliveryKeyOf } from "./ledger/keys.ts";
export type { DeadLetter } from "./ledger/store.ts";
export { verifyDelivery } from "./webhook/verify.ts";
export { receiveDelivery, type DeliveryAuth } from "./webhook/receive.ts";
export type { iMessageWebhookVerifier } from "./core/forwarder.ts";
