/**
 * @module local-bridge/relay-bridge
 * Wires the relay: Messages database → relay client → Worker, and Worker send requests → AppleScript.
 */
import type { Logger } from "chat";
import { type ChatDb, openChatDb } from "./chat-db.ts";
import { EchoGuard } from "./echo.ts";
import { createOsascriptRunner, type OsascriptRunner } from "./osascript.ts";
import { RelayClient, type RelaySocketFactory } from "./relay.ts";
import { AppleScriptSender } from "./sender.ts";
import { fileWatermark } from "./watermark.ts";
import { ChatDbWatcher } from "./watcher.ts";

export interface RelayBridgeOptions {
  url: string;
  secret: string;
  dbPath?: string;
  /** Watermark of acknowledged rows (default `~/.chat-adapter-imessage/relay-watermark.json`). */
  watermarkPath: string;
  pollIntervalMs?: number;
  startAt?: "latest" | "beginning";
  runOsascript?: OsascriptRunner;
  socketFactory?: RelaySocketFactory;
  logger?: Logger;
}

/** A running relay; `stop()` closes the socket, the watcher and the database. */
export interface RelayBridge {
  db: ChatDb;
  client: RelayClient;
  watcher: ChatDbWatcher;
  stop(): Promise<void>;
}

/**
 * Starts forwarding new Messages rows to the Worker and serving its send requests.
 *
 * @example
 * ```ts
 * const bridge = startRelayBridge({ url: "wss://bot.example.workers.dev/api/imessage/relay", secret, watermarkPath });
 * process.on("SIGINT", () => void bridge.stop());
 * ```
 */
export function startRelayBridge(options: RelayBridgeOptions): RelayBridge {
  const db = openChatDb({ path: options.dbPath });
  const watermark = fileWatermark(options.watermarkPath);
  const echo = new EchoGuard();
  const sender = new AppleScriptSender({ db, run: options.runOsascript ?? createOsascriptRunner(), echo });
  const client = new RelayClient({
    url: options.url,
    secret: options.secret,
    sender,
    socketFactory: options.socketFactory,
    onCommit: (rowid) => watermark.save(rowid),
    logger: options.logger,
  });
  const watcher = new ChatDbWatcher({
    db,
    watermark,
    autoCommit: false,
    echo,
    onMessage: (message) => client.enqueue(message),
    pollIntervalMs: options.pollIntervalMs,
    startAt: options.startAt,
    logger: options.logger,
  });
  if (watermark.load() === undefined) watermark.save(watcher.cursor);
  client.start();
  watcher.start();
  return {
    db,
    client,
    watcher,
    async stop() {
      await client.stop(); // first: wakes a watcher waiting for acks
      await watcher.stop();
      db.close();
    },
  };
}
