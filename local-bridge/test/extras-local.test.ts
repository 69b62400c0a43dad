import { join } from "node:path";
import { ConsoleLogger, NotImplementedError } from "chat";
import { describe, expect, it } from "vitest";
import { LocalIMessageAdapter } from "../src/adapter.ts";
import { createiMessageAdapter } from "../src/create.ts";
import { memoryWatermark } from "../src/watermark.ts";
import { buildSampleChatDb } from "./fixtures/sample.ts";
import { tempDir } from "./helpers.ts";

function localAdapter(): LocalIMessageAdapter {
  const home = tempDir();
  const dbPath = join(home, "chat.db");
  buildSampleChatDb(dbPath);
  return createiMessageAdapter({
    local: true,
    dbPath,
    homeDir: home,
    env: {},
    logger: new ConsoleLogger("error"),
    watermark: memoryWatermark(),
    autoStart: false,
    runOsascript: async () => ({ stdout: "", stderr: "" }),
  });
}

describe("the reference adapter's extras in local mode", () => {
  it.each([
    ["sendEffect", (a: LocalIMessageAdapter) => a.sendEffect(), /cannot send message effects/],
    ["sendVoice", (a: LocalIMessageAdapter) => a.sendVoice(), /cannot send voice notes/],
    ["setBackground", (a: LocalIMessageAdapter) => a.setBackground(), /cannot change a chat background/],
    ["sendMiniApp", (a: LocalIMessageAdapter) => a.sendMiniApp(), /cannot send iMessage app cards/],
  ] as const)("%s throws NotImplementedError naming the operation and why", async (operation, call, why) => {
    const error = await call(localAdapter()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NotImplementedError);
    expect((error as NotImplementedError).feature).toBe(operation);
    expect((error as Error).message).toMatch(new RegExp(`${operation} is not supported: .*${why.source}`));
  });
});
