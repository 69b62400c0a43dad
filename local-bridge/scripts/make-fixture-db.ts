#!/usr/bin/env node
/**
 * @module local-bridge/scripts/make-fixture-db
 * Writes a sample Messages database with the macOS schema:
 * `node local-bridge/scripts/make-fixture-db.ts OUT.db [--messages N] [--today]`. `--today` adds rows of
 * current macOS: emoji and sticker tapbacks, an edit, an Undo Send, a note to yourself, an undated row.
 * Point the bridge at it with `IMESSAGE_DB_PATH=OUT.db` to try local mode without a Mac.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { ChatDbFixture } from "../test/fixtures/chat-db.ts";
import { appendTodayRows, buildSampleChatDb } from "../test/fixtures/sample.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { messages: { type: "string" }, today: { type: "boolean" } },
});
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
if (values.today) appendTodayRows(out);
console.log(`wrote ${out}: ${Object.keys(sample).length} sample rows${extra ? ` + ${extra} backlog messages` : ""}${values.today ? " + rows of current macOS (emoji and sticker tapbacks, edit, Undo Send, self-chat, undated)" : ""}`);
