import { describe, expect, it } from "vitest";
import { createRecordingBot, inOwnDm, signedRequest } from "./helpers.ts";

describe("messages arriving while their thread is busy", () => {
  it("are not dropped: each waits for the thread lock and runs its handler once", async () => {
    const bot = createRecordingBot({ handlerDelayMs: 150 });
    const first = inOwnDm("dm-text", { type: "text", text: "first" });
    const json = JSON.parse(first.body);
    const second = structuredClone(json);
    second.message.id = `${json.message.id}-second`;
    second.message.content = { type: "text", text: "second" };
    const responses = await Promise.all([
      bot.send(await signedRequest(first.body)),
      bot.send(await signedRequest(JSON.stringify(second))),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(bot.runs.map((r) => r.text).sort()).toEqual(["first", "second"]);
  });
});
