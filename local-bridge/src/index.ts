/**
 * @module chat-adapter-imessage-bridge
 * Local macOS mode of chat-adapter-imessage: the Messages database in, AppleScript out, optional relay into the Worker.
 */
export { createiMessageAdapter, type NodeAdapterOptions } from "./create.ts";
export { LocalIMessageAdapter, defaultWatermarkPath, type LocalModeOptions } from "./adapter.ts";
export { ChatDb, openChatDb, defaultChatDbPath, type LocalMessage, type LocalAttachment, type LocalChat } from "./chat-db.ts";
export { ChatDbWatcher, type WatcherOptions } from "./watcher.ts";
export { fileWatermark, memoryWatermark, type WatermarkStore } from "./watermark.ts";
export { createOsascriptRunner, type OsascriptRunner, type OsascriptOutput } from "./osascript.ts";
export { appleScriptString, buildSendScript, type SendTarget } from "./applescript.ts";
export { AppleScriptSender } from "./sender.ts";
export { decodeAttributedBody } from "./typedstream.ts";
export { appleTimeToDate } from "./apple-time.ts";
export { tapbackFromType, tapbackTarget, tapbackTargetGuid, STICKER_REACTION, type Tapback, type TapbackTarget } from "./tapback.ts";
export { Journal, openJournal, type JournalStatus } from "./journal.ts";
export { EchoGuard, type EchoGuardOptions } from "./echo.ts";
export { readSummaryInfo, type SummaryInfo } from "./summary-info.ts";
export { toEnvelope, toSpectrumGuid, eventIdOf, type LocalEnvelopeFields } from "./envelope.ts";
export { RelayClient, type RelayClientOptions, type RelaySocket } from "./relay.ts";
export { startRelayBridge, type RelayBridge, type RelayBridgeOptions } from "./relay-bridge.ts";
export { LocalModeError } from "./errors.ts";
export { NotImplementedError } from "chat-adapter-imessage/extend";
