#!/usr/bin/env node
/**
 * @module local-bridge/scripts/make-fixture-db
 * Writes a sample Messages database with the macOS schema: `node local-bridge/scripts/make-fixture-db.ts OUT.db [--messages N]`.
 * Point the bridge at it with `IMESSAGE_DB_PATH=OUT.db` to try local mode without a Mac.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { ChatDbFixture } from "../test/fixtures/chat-db.ts";
import { buildSampleChatDb } from "../test/fixtures/sample.ts";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { messages: { type: "string" } } });
const out = positionals[0] ?? "chat.db";
rmSync(out, { force: true });
rmSync(`${out}-wal`, { force: true });
rmSync(`${out}-shm`, { force: true });
const sample = buildSampleChatDb(out);
const extra = Number(values.messages ?? 0);
if (extra > 0) {
  const fixture = new ChatDbFixture(out);
  fixture.bulk(fixture.dm("+15550009999"), "+15550009999", extra, (index) => `backlog message ${index}`);
  fixture.close();
}
console.log(`wrote ${out}: ${Object.keys(sample).length} sample rows${extra ? ` + ${extra} backlog messages` : ""}`);
