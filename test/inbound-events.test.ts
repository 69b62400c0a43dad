import { env } from "cloudflare:workers";
import { Chat, type Adapter } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import type { iMessageEvent } from "../src/adapter/inbound/space-events.ts";
import { SECRET, seedInbound, signedRequest } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { silent, simulatorHostPort } from "./outbound-helpers.ts";

/** A self-host bot with a webhook secret, recording what each handler saw. */
async function bot() {
  const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
  const seen: unknown[][] = [];
  const events: iMessageEvent[] = [];
  chat.onMemberJoinedChannel((event) => void seen.push(["memberJoined", event.channelId, event.userId, event.inviterId]));
  chat.onMessageUpdated((thread, message) => void seen.push(["updated", thread.id, message.id, message.text, message.metadata.edited]));
  chat.onMessageDeleted((event) => void seen.push(["deleted", event.threadId, event.messageId]));
  chat.onNewMention((thread, message) => void seen.push(["mention", thread.id, message.text]));
  adapter.onEvent((event) => void events.push(event));
  await chat.initialize();
  return { adapter, chat, seen, events };
}

/** A group of this test's own, known to the simulated server (as if a message had arrived there). */
async function ownGroup(): Promise<{ chatGuid: string; threadId: string; envelope: (content: Record<string, unknown>, extra?: Record<string, unknown>) => string }> {
  const chatGuid = `any;+;chat${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
  const envelope = (content: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      event: "messages",
      message: {
        id: `msg-${crypto.randomUUID()}`,
        platform: "imessage",
        direction: "inbound",
        timestamp: "2026-11-29T09:00:00.000Z",
        sender: { id: "friend@example.com" },
        space: { id: chatGuid, platform: "imessage", type: "group", phone: "+15550001111", ...extra },
        content,
      },
    });
  await seedInbound(env.SIMULATOR_URL, envelope({ type: "text", text: "hello group" }));
  return { chatGuid, threadId: `imessage:${chatGuid}~+15550001111`, envelope };
}

describe("membership, rename, photo, read and typing envelopes", () => {
  it("addMember runs onMemberJoinedChannel once per member (inviter = sender) and reaches onEvent", async () => {
    const { adapter, seen, events } = await bot();
    const group = await ownGroup();
    const response = await adapter.handleWebhook(await signedRequest(group.envelope({ type: "addMember", members: ["+15557654321", "new@example.com"] })));
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      ["memberJoined", group.threadId, "+15557654321", "friend@example.com"],
      ["memberJoined", group.threadId, "new@example.com", "friend@example.com"],
    ]);
    expect(events).toMatchObject([
      { type: "addMember", members: ["+15557654321", "new@example.com"], threadId: group.threadId, chatGuid: group.chatGuid, user: { userId: "friend@example.com" } },
    ]);
  });

  it("removeMember, leaveSpace, avatar, read and typing reach onEvent as raw events and no message handler", async () => {
    const { adapter, seen, events } = await bot();
    const group = await ownGroup();
    for (const content of [
      { type: "removeMember", members: ["+15557654321"] },
      { type: "leaveSpace" },
      { type: "avatar", action: { kind: "set", mimeType: "image/jpeg" } },
      { type: "avatar", action: { kind: "clear" } },
      { type: "read", target: { id: "bot-message-1" } },
      { type: "typing", state: "start" },
      { type: "typing", state: "stop" },
      { type: "addMember", members: [] },
    ]) {
      expect((await adapter.handleWebhook(await signedRequest(group.envelope(content)))).status).toBe(200);
    }
    expect(seen).toEqual([]);
    expect(events.map((e) => [e.type, ...Object.values(pick(e, ["members", "action", "mimeType", "messageId", "typing"]))])).toEqual([
      ["removeMember", ["+15557654321"]],
      ["leaveSpace"],
      ["avatar", "set", "image/jpeg"],
      ["avatar", "clear"],
      ["read", "bot-message-1"],
      ["typing", true],
      ["typing", false],
    ]);
    expect(events.every((e) => e.threadId === group.threadId && e.user?.userId === "friend@example.com")).toBe(true);
  });

  it("rename reaches onEvent and fetchThread shows the new name, kept by later messages that carry none", async () => {
    const { adapter, events } = await bot();
    const group = await ownGroup();
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "text", text: "before" }, { displayName: "Old name" })));
    expect((await adapter.fetchThread(group.threadId)).channelName).toBe("Old name");
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "rename", displayName: "Lunch crew" })));
    expect(events).toMatchObject([{ type: "rename", displayName: "Lunch crew" }]);
    expect((await adapter.fetchThread(group.threadId)).channelName).toBe("Lunch crew");
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "text", text: "after" })));
    expect((await adapter.fetchThread(group.threadId)).channelName).toBe("Lunch crew");
  });

  it("an unsubscribed handler no longer runs", async () => {
    const { adapter, events } = await bot();
    const group = await ownGroup();
    const late: iMessageEvent[] = [];
    const stop = adapter.onEvent((event) => void late.push(event));
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "leaveSpace" })));
    stop();
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "leaveSpace" })));
    expect([late.length, events.length]).toEqual([1, 2]);
  });
});

describe("edits and unsends", () => {
  // Spectrum's webhook (spectrum-ts 12.8) has no edit or unsend content; envelopes that carry them are routed.
  it("edit runs onMessageUpdated with the edited message; unsend runs onMessageDeleted", async () => {
    const { adapter, seen } = await bot();
    const group = await ownGroup();
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "edit", content: { type: "text", text: "fixed typo" }, target: { id: "orig-1" } })));
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "unsend", target: { id: "orig-2" } })));
    await adapter.handleWebhook(await signedRequest(group.envelope({ type: "unsend", target: {} })));
    expect(seen).toEqual([
      ["updated", group.threadId, "orig-1", "fixed typo", true],
      ["deleted", group.threadId, "orig-2"],
    ]);
  });
});

function pick(event: iMessageEvent, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in event).map((key) => [key, (event as unknown as Record<string, unknown>)[key]]));
}
