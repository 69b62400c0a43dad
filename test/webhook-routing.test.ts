import { describe, expect, it } from "vitest";
import { FIXTURES, createRecordingBot, fixture, signedRequest, withFreshId } from "./helpers.ts";

describe("every shared fixture reaches the right Chat callback", () => {
  it("covers all fixtures", () => {
    expect(FIXTURES.sort()).toEqual([
      "attachment",
      "dm-text",
      "group-member-added",
      "group-text",
      "poll-vote",
      "reply-text",
      "tapback-reaction",
      "unknown-event",
    ]);
  });

  it("dm-text → onNewMention (a DM counts as a mention) with the text and DM thread id", async () => {
    const bot = createRecordingBot();
    const response = await bot.send(await signedRequest(fixture("dm-text")));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "accepted" });
    expect(bot.runs).toEqual([
      expect.objectContaining({
        callback: "mention",
        threadId: "imessage:any;-;+15551234567",
        text: "hey bot, what's up?",
        messageId: "spc-msg-0b6f2d1e-4a51-4c39-9d0c-6f1f5d7a2e01",
      }),
    ]);
    expect(bot.runs[0]?.detail).toMatchObject({ author: "+15551234567", isMention: true });
  });

  it("group-text with @bot → onNewMention on the group thread carrying its phone", async () => {
    const bot = createRecordingBot({ userName: "bot" });
    const response = await bot.send(await signedRequest(withFreshId(fixture("group-text"))));
    expect(response.status).toBe(200);
    expect(bot.runs).toHaveLength(1);
    expect(bot.runs[0]).toMatchObject({
      callback: "mention",
      threadId: "imessage:any;+;chat914325730198374~+15550001111",
      text: "@bot can you summarise this thread?",
    });
  });

  it("group-text without the bot's name → onNewMessage, not a mention", async () => {
    const bot = createRecordingBot({ userName: "otherbot" });
    await bot.send(await signedRequest(withFreshId(fixture("group-text"))));
    expect(bot.runs.map((r) => r.callback)).toEqual(["message"]);
  });

  it("attachment → message with attachment metadata and a working fetchData", async () => {
    const bot = createRecordingBot();
    await bot.send(await signedRequest(withFreshId(fixture("attachment"))));
    expect(bot.runs).toHaveLength(1);
    expect(bot.runs[0]?.detail?.attachments).toEqual([
      { name: "IMG_0042.HEIC", mimeType: "image/heic", size: 482113, type: "image" },
    ]);
  });

  it("reply-text → message with the inner text and replyTo = the target id", async () => {
    const bot = createRecordingBot();
    await bot.send(await signedRequest(withFreshId(fixture("reply-text"))));
    expect(bot.runs[0]).toMatchObject({ callback: "mention", text: "yes, that one" });
    expect(bot.runs[0]?.detail?.replyTo).toBe("spc-msg-0b6f2d1e-4a51-4c39-9d0c-6f1f5d7a2e01");
  });

  it("tapback-reaction → onReaction with the heart tapback, added", async () => {
    const bot = createRecordingBot();
    await bot.send(await signedRequest(withFreshId(fixture("tapback-reaction"))));
    expect(bot.runs).toEqual([
      expect.objectContaining({
        callback: "reaction",
        threadId: "imessage:any;-;+15551234567",
        messageId: "spc-msg-0b6f2d1e-4a51-4c39-9d0c-6f1f5d7a2e01",
        detail: { emoji: "heart", rawEmoji: "❤️", added: true, user: "+15551234567" },
      }),
    ]);
  });

  it("poll-vote → onModalSubmit with the option's value, for a poll this bot opened", async () => {
    const opener = createRecordingBot();
    await opener.chat.initialize();
    const { viewId } = await opener.adapter.openModal("imessage:any;-;+15551234567", {
      type: "modal",
      callbackId: "favorite-color",
      title: "What is your favorite color?",
      children: [
        {
          type: "select",
          id: "color",
          label: "Color",
          options: [
            { label: "Red", value: "red" },
            { label: "Blue", value: "blue" },
            { label: "Green", value: "green" },
          ],
        },
      ],
    });
    // A different adapter instance (another isolate, hours later) receives the vote.
    const voter = createRecordingBot();
    const response = await voter.send(await signedRequest(withFreshId(fixture("poll-vote"))));
    expect(response.status).toBe(200);
    expect(voter.runs).toEqual([
      expect.objectContaining({
        callback: "modalSubmit",
        threadId: "imessage:any;-;+15551234567",
        detail: { callbackId: "favorite-color", values: { color: "blue" }, user: "+15551234567", viewId },
      }),
    ]);
  });

  it("group-member-added → acknowledged, no handler", async () => {
    const bot = createRecordingBot();
    const response = await bot.send(await signedRequest(withFreshId(fixture("group-member-added"))));
    expect(response.status).toBe(200);
    expect(bot.runs).toEqual([]);
  });

  it("unknown-event → 200 ignored with the reason, no handler", async () => {
    const bot = createRecordingBot();
    const response = await bot.send(await signedRequest(fixture("unknown-event")));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ignored", reason: 'event "space.updated" is not handled' });
    expect(bot.runs).toEqual([]);
  });

  it("an outbound echo of the bot's own message runs no handler", async () => {
    const bot = createRecordingBot();
    const json = JSON.parse(withFreshId(fixture("dm-text")));
    json.message.direction = "outbound";
    await bot.send(await signedRequest(JSON.stringify(json)));
    expect(bot.runs).toEqual([]);
  });

  it("a platform other than imessage is acknowledged 200 and skipped", async () => {
    const bot = createRecordingBot();
    const json = JSON.parse(withFreshId(fixture("dm-text")));
    json.message.platform = "whatsapp";
    const response = await bot.send(await signedRequest(JSON.stringify(json)));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ignored" });
    expect(bot.runs).toEqual([]);
  });
});

describe("X-Spectrum-Event", () => {
  it("a signed delivery of another event type is acknowledged 200 and skipped", async () => {
    const bot = createRecordingBot();
    const response = await bot.send(await signedRequest(withFreshId(fixture("dm-text")), { headers: { "x-spectrum-event": "spaces" } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ignored", reason: 'event "spaces" is not handled' });
    expect(bot.runs).toEqual([]);
  });
});
