#!/usr/bin/env node
/**
 * @module local-bridge/bin/bridge
 * `chat-adapter-imessage-bridge relay --url wss://<worker>/api/imessage/relay --secret <RELAY_SECRET>`
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConsoleLogger } from "chat";
import { startRelayBridge } from "../src/relay-bridge.ts";

const USAGE = `Usage: chat-adapter-imessage-bridge relay --url wss://<worker>/api/imessage/relay --secret <RELAY_SECRET>
  [--db <chat.db>] [--watermark <file>] [--poll-ms <ms>] [--start-at latest|beginning]

Forwards new messages of this Mac's Messages database to the Worker's relay WebSocket and sends
what the Worker asks for through Messages. Needs macOS, Full Disk Access for this terminal, and
Node >= 20. Environment fallbacks: IMESSAGE_RELAY_URL, RELAY_SECRET, IMESSAGE_DB_PATH.`;

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        url: { type: "string" },
        secret: { type: "string" },
        db: { type: "string" },
        watermark: { type: "string" },
        "poll-ms": { type: "string" },
        "start-at": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
}

const { positionals, values } = parseCommandLine();

const url = values.url ?? process.env.IMESSAGE_RELAY_URL;
const secret = values.secret ?? process.env.RELAY_SECRET;
const startAt = values["start-at"] ?? "latest";
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals[0] !== "relay" || !url || !secret || (startAt !== "latest" && startAt !== "beginning")) {
  console.error(USAGE);
  process.exit(2);
}

const logger = new ConsoleLogger("info").child("imessage-bridge");
try {
  const bridge = startRelayBridge({
    url,
    secret,
    dbPath: values.db ?? process.env.IMESSAGE_DB_PATH,
    watermarkPath: values.watermark ?? join(homedir(), ".chat-adapter-imessage", "relay-watermark.json"),
    pollIntervalMs: values["poll-ms"] ? Number(values["poll-ms"]) : undefined,
    startAt,
    logger,
  });
  logger.info(`relaying ${bridge.db.path} to ${url}`);
  const shutdown = () => void bridge.stop().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
