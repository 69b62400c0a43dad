import { decodeCatchUpEvent } from "@photon-ai/advanced-imessage/http";
import { describe, expect, it } from "vitest";
import { envelopesOfRawInbound, type RawInboundResult } from "../src/webhook/raw-inbound.ts";
import { encodeCatchUpEvent, rawInboundWrapper, toBase64, type RawEvent, type RawInboundOptions } from "./simulator/raw-inbound.ts";
import dmText from "./fixtures/webhooks/dm-text.json";
import groupText from "./fixtures/webhooks/group-text.json";
import attachment from "./fixtures/webhooks/attachment.json";
import replyText from "./fixtures/webhooks/reply-text.json";
import tapback from "./fixtures/webhooks/tapback-reaction.json";

const DM = "any;-;+15551234567";
const PEER = "+15551234567";

/** Delivers like Spectrum would (the wrapper goes through JSON) and maps the relayed request. */
function receive(event: RawEvent, options?: RawInboundOptions, phone?: string): RawInboundResult {
  const wrapper = JSON.parse(JSON.stringify(rawInboundWrapper(event, options)));
  return envelopesOfRawInbound(wrapper.request, phone ? { phone } : {});
}

function only(result: RawInboundResult) {
  if (result.kind !== "messages") throw new Error(`expected messages, got ${JSON.stringify(result)}`);
  expect(result.envelopes).toHaveLength(1);
  return result.envelopes[0]!;
}

describe("simulator CatchUpEvent encoder", () => {
  it("round-trips through the vendor's decodeCatchUpEvent", () => {
    const date = new Date("2026-11-20T17:04:05.123Z");
    const bytes = encodeCatchUpEvent(
      {
        kind: "message",
        message: {
          guid: "spc-msg-x",
          chatGuid: DM,
          sender: PEER,
          text: "look",
          date,
          attachments: [{ guid: "spc-att-1", fileName: "a.jpg", mimeType: "image/jpeg", totalBytes: 300_000 }],
          replyTargetGuid: "spc-msg-y",
          tapback: { kind: "emoji", emoji: "🔥", targetGuid: "spc-msg-z", partIndex: 2, removed: true },
        },
      },
      9_007_199_254,
    );
    const event = decodeCatchUpEvent(bytes);
    if (event?.type !== "message.received") throw new Error(`decoded ${event?.type}`);
    expect(event).toMatchObject({ sequence: 9_007_199_254, chatGuid: DM, isFromMe: false, occurredAt: date });
    expect(event.message).toMatchObject({
      guid: "spc-msg-x",
      chatGuids: [DM],
      sender: { address: PEER, service: "iMessage" },
      dateCreated: date,
      replyTargetGuid: "spc-msg-y",
      reactionTargetGuid: "spc-msg-z",
      reactionTargetPartIndex: 2,
      reaction: { kind: "emoji", emoji: "🔥" },
      reactionSelected: false,
      content: { text: "look", attachments: [{ guid: "spc-att-1", fileName: "a.jpg", mimeType: "image/jpeg", totalBytes: 300_000 }] },
    });
  });
});

describe("envelopesOfRawInbound", () => {
  it("maps a DM text to the same envelope the normalized schema carries", () => {
    const m = dmText.message;
    const envelope = only(receive({ kind: "message", message: { guid: m.id, chatGuid: m.space.id, sender: m.sender.id, text: m.content.text, date: m.timestamp } }));
    expect(envelope).toEqual(dmText);
  });

  it("maps a group text, with the receiving line from the caller", () => {
    const m = groupText.message;
    const event: RawEvent = { kind: "message", message: { guid: m.id, chatGuid: m.space.id, sender: m.sender.id, text: m.content.text, date: m.timestamp } };
    expect(only(receive(event, {}, m.space.phone))).toEqual(groupText);
    // Dedicated lines (transform 4) name their number in a header.
    const dedicated = receive(event, { source: "fusor-fanin-imessage", transformVersion: "4", headers: { "x-fusor-imessage-phone": "+15550002222" } });
    expect(only(dedicated).message.space).toMatchObject({ type: "group", phone: "+15550002222" });
  });

  it("maps a photo alone to an attachment and text + photo to a group of part records", () => {
    const m = attachment.message;
    const photo = { guid: m.content.id, fileName: m.content.name, mimeType: m.content.mimeType, totalBytes: m.content.size };
    const alone = only(receive({ kind: "message", message: { guid: m.id, chatGuid: m.space.id, sender: m.sender.id, attachments: [photo], date: m.timestamp } }));
    expect(alone.message).toMatchObject(m);

    const both = only(receive({ kind: "message", message: { guid: "spc-msg-both", chatGuid: DM, sender: PEER, text: "look at this", attachments: [photo] } }));
    expect(both.message.id).toBe("spc-msg-both");
    expect(both.message.content).toEqual({
      type: "group",
      items: [
        { id: "p:0/spc-msg-both", content: { type: "text", text: "look at this" } },
        { id: "p:1/spc-msg-both", content: m.content },
      ],
    });
  });

  it("maps a tapback message row to a reaction with the message's own id", () => {
    const m = tapback.message;
    const event: RawEvent = { kind: "message", message: { guid: m.id, chatGuid: m.space.id, sender: m.sender.id, date: m.timestamp, text: "Loved “Hello from iMessage!”", tapback: { kind: "love", targetGuid: m.content.target.id } } };
    const envelope = only(receive(event));
    expect(envelope.message).toMatchObject({ id: m.id, sender: { id: PEER }, content: { type: "reaction", emoji: "❤️", target: { id: m.content.target.id }, removed: false } });

    const removed = only(receive({ kind: "message", message: { ...(event.message as object), guid: "spc-msg-undo", chatGuid: DM, sender: PEER, tapback: { kind: "like", targetGuid: "spc-msg-t", partIndex: 1, removed: true } } }));
    expect(removed.message.content).toEqual({ type: "reaction", emoji: "👍", target: { id: "spc-msg-t", partIndex: 1 }, removed: true });
  });

  it("maps a reaction event (dedicated lines) with spectrum-ts's stream id", () => {
    const base = { kind: "reaction" as const, chatGuid: DM, actor: PEER, messageGuid: "spc-msg-target", reaction: "laugh" };
    const v4 = { source: "fusor-fanin-imessage", transformVersion: "4", sequence: 77, headers: { "x-fusor-imessage-source-sequence": "77" } };
    expect(only(receive(base, v4)).message).toMatchObject({ id: "spc-msg-target:reaction:77", content: { type: "reaction", emoji: "😂", target: { id: "spc-msg-target" }, removed: false } });
    expect(only(receive({ ...base, partIndex: 1, removed: true }, v4)).message).toMatchObject({ id: "spc-msg-target:reaction-removed:77:1", content: { removed: true, target: { id: "spc-msg-target", partIndex: 1 } } });
    expect(receive({ ...base, reaction: "sticker" }, v4)).toMatchObject({ kind: "ignored" });
  });

  it("maps a reply (reply target or thread originator) around the body", () => {
    const m = replyText.message;
    const target = m.content.target.id;
    const reply = only(receive({ kind: "message", message: { guid: m.id, chatGuid: m.space.id, sender: m.sender.id, text: m.content.content.text, replyTargetGuid: target, date: m.timestamp } }));
    expect(reply.message).toMatchObject({ id: m.id, timestamp: m.timestamp, content: { type: "reply", content: { type: "text", text: "yes, that one" }, target: { id: target } } });

    const threaded = only(receive({ kind: "message", message: { guid: "spc-msg-t2", chatGuid: DM, sender: PEER, text: "+1", threadOriginatorGuid: target, attachments: [{ guid: "spc-att-2", fileName: "b.png", mimeType: "image/png", totalBytes: 10 }] } }));
    expect(threaded.message.content).toMatchObject({ type: "reply", target: { id: target }, content: { type: "group", items: [{ id: "p:0/spc-msg-t2" }, { id: "p:1/spc-msg-t2" }] } });
  });

  it("takes the frame from a base64 body when rawBodyBase64 is absent", () => {
    const wrapper = rawInboundWrapper({ kind: "message", message: { guid: "spc-msg-b", chatGuid: DM, sender: PEER, text: "hi" } });
    const { rawBodyBase64: _, ...request } = wrapper.request;
    expect(only(envelopesOfRawInbound(request)).message.id).toBe("spc-msg-b");
  });

  it("answers invalid for bytes that are not a CatchUpEvent frame", () => {
    const text = new TextEncoder().encode('{"event":"messages"}');
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff);
    for (const rawBody of [text, garbage, Uint8Array.of(0x52, 0xff)]) {
      const result = receive({ kind: "heartbeat" }, { rawBody });
      expect(result.kind, JSON.stringify(result)).toBe("invalid");
      if (result.kind === "invalid") expect(result.error).toMatch(/not a protobuf CatchUpEventsResponse frame/);
    }
    const wrapper = rawInboundWrapper({ kind: "heartbeat" });
    expect(envelopesOfRawInbound({ ...wrapper.request, rawBodyBase64: "%%%not base64" })).toMatchObject({ kind: "invalid", error: expect.stringMatching(/base64/) });
    expect(envelopesOfRawInbound({ headers: wrapper.request.headers })).toMatchObject({ kind: "invalid", error: expect.stringMatching(/missing/) });
  });

  it("answers invalid when the frame's sequence contradicts its log id", () => {
    const wrapper = rawInboundWrapper({ kind: "message", message: { chatGuid: DM, sender: PEER, text: "hi" } }, { sequence: 5 });
    const request = { ...wrapper.request, headers: { ...wrapper.request.headers, "x-fusor-imessage-log-id": "6" } };
    expect(envelopesOfRawInbound(request)).toMatchObject({ kind: "invalid", error: expect.stringMatching(/sequence 5/) });
  });

  it("ignores non-message events, echoes and requests that are not iMessage relays", () => {
    const ignored = (result: RawInboundResult) => expect(result.kind, JSON.stringify(result)).toBe("ignored");
    ignored(receive({ kind: "read", chatGuid: DM, actor: PEER, messageGuid: "spc-msg-ours" }));
    ignored(receive({ kind: "markedRead", chatGuid: DM }));
    ignored(receive({ kind: "heartbeat" }));
    ignored(receive({ kind: "message", message: { chatGuid: DM, sender: PEER, text: "from the bot", isFromMe: true } }));
    ignored(receive({ kind: "message", message: { chatGuid: DM, sender: PEER, isSystemMessage: true, text: "x" } }));
    ignored(receive({ kind: "message", message: { chatGuid: DM, sender: PEER, text: "hi" } }, { source: "spectrum-slack" }));
    ignored(receive({ kind: "message", message: { chatGuid: DM, sender: PEER, text: "hi" } }, { transformVersion: "9" }));
    ignored(receive({ kind: "message", message: { chatGuid: DM, sender: PEER, text: "hi" } }, { headers: { "content-type": "application/json" } }));
    const read = receive({ kind: "read", chatGuid: DM, actor: PEER, messageGuid: "spc-msg-ours" });
    if (read.kind === "ignored") expect(read.reason).toContain("message.read");
  });

  it("base64 helper matches the platform's", () => {
    expect(toBase64(Uint8Array.of(0, 255, 1))).toBe("AP8B");
  });
});
