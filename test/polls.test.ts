import type { ModalElement } from "chat";
import { describe, expect, it } from "vitest";
import { createRecordingBot, signedRequest } from "./helpers.ts";
import { DM, DM_GUID, selfHosted, sim } from "./outbound-helpers.ts";

const select = (count: number) => ({
  type: "select" as const,
  id: "choice",
  label: "Pick",
  options: Array.from({ length: count }, (_, i) => ({ label: `Option ${i + 1}`, value: `v${i + 1}` })),
});

const modal = (children: ModalElement["children"], title = "Lunch?"): ModalElement => ({
  type: "modal",
  callbackId: "lunch",
  title,
  children,
});

function vote(messageId: string, pollTitle: string, optionTitle: string, sender = "+15551234567"): string {
  return JSON.stringify({
    event: "messages",
    message: {
      id: messageId,
      platform: "imessage",
      direction: "inbound",
      timestamp: new Date().toISOString(),
      sender: { id: sender },
      space: { id: DM_GUID, platform: "imessage", type: "dm", phone: "shared" },
      content: { type: "poll_option", selected: true, option: { title: optionTitle }, poll: { title: pollTitle, options: [] } },
    },
  });
}

describe("modals as native polls", () => {
  it("the first Select becomes a poll: title = question, option labels = choices", async () => {
    const w = await selfHosted();
    const { viewId } = await w.adapter.openModal(DM, modal([select(3)], "Where do we eat?"));
    const [create] = await w.requests("/v1/polls");
    expect(create?.body).toEqual({ chatGuid: DM_GUID, title: "Where do we eat?", options: ["Option 1", "Option 2", "Option 3"], clientMessageId: expect.any(String) });
    expect(viewId).toBeTruthy();
  });

  it("clear errors: no Select, too few or too many options, unsupported elements listed, duplicate labels", async () => {
    const w = await selfHosted();
    await expect(w.adapter.openModal(DM, modal([{ type: "text_input", id: "t", label: "Name" } as never]))).rejects.toThrow(
      /needs a Select child.*This modal has: text_input/,
    );
    await expect(w.adapter.openModal(DM, modal([select(1)]))).rejects.toThrow(/between 2 and 10 options, this Select has 1/);
    await expect(w.adapter.openModal(DM, modal([select(11)]))).rejects.toThrow(/between 2 and 10 options, this Select has 11/);
    await expect(
      w.adapter.openModal(DM, modal([select(2), { type: "text_input", id: "t", label: "Why" } as never])),
    ).rejects.toThrow(/remove the unsupported elements: text_input/);
    const duplicate = select(2);
    duplicate.options[1] = { label: "Option 1", value: "other" };
    await expect(w.adapter.openModal(DM, modal([duplicate]))).rejects.toThrow(/distinct labels/);
    expect(await w.requests("/v1/polls")).toEqual([]);
  });

  it("every vote, in any isolate, reaches onModalSubmit with the option's value and the poll's thread", async () => {
    const opener = createRecordingBot();
    await opener.chat.initialize();
    const title = `Lunch ${crypto.randomUUID().slice(0, 6)}`;
    await opener.adapter.openModal(DM, modal([select(3)], title));

    const voterA = createRecordingBot();
    await voterA.send(await signedRequest(vote(`vote-${crypto.randomUUID()}`, title, "Option 2")));
    const voterB = createRecordingBot();
    await voterB.send(await signedRequest(vote(`vote-${crypto.randomUUID()}`, title, "Option 3", "friend@example.com")));

    expect([...voterA.runs, ...voterB.runs].map((r) => [r.callback, r.threadId, r.detail?.values, r.detail?.user])).toEqual([
      ["modalSubmit", DM, { choice: "v2" }, "+15551234567"],
      ["modalSubmit", DM, { choice: "v3" }, "friend@example.com"],
    ]);
  });

  it("a vote on a poll this bot did not open, or an unknown option, runs nothing", async () => {
    const bot = createRecordingBot();
    await bot.send(await signedRequest(vote(`vote-${crypto.randomUUID()}`, "Somebody else's poll", "Yes")));
    expect(bot.runs).toEqual([]);
  });

  it("reusing a title in the same chat: the newest poll wins", async () => {
    const bot = createRecordingBot();
    await bot.chat.initialize();
    const title = `Again ${crypto.randomUUID().slice(0, 6)}`;
    await bot.adapter.openModal(DM, { ...modal([select(2)], title), callbackId: "old" });
    await bot.adapter.openModal(DM, { ...modal([select(2)], title), callbackId: "new" });
    await bot.send(await signedRequest(vote(`vote-${crypto.randomUUID()}`, title, "Option 1")));
    expect(bot.runs.map((r) => r.detail?.callbackId)).toEqual(["new"]);
    expect((await sim.requests({ path: "/v1/polls" })).length).toBeGreaterThanOrEqual(2);
  });
});
