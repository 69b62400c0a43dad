import { env } from "cloudflare:workers";
import { Chat } from "chat";
import { describe, expect, it, vi } from "vitest";
import worker from "../demo/index.ts";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { SECRET, fixture, inOwnDm, seedInbound, signedRequest, through, withFreshId } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { silent, sim, simulatorHostPort } from "./outbound-helpers.ts";
import type { RecordedRequest } from "./simulator/client.ts";

/** Requests the simulator received since `since` that `pick` selects, once there are at least `count` (the ledger answers after the 200). */
async function eventually(since: number, pick: (r: RecordedRequest) => boolean, count = 1) {
  return await vi.waitFor(
    async () => {
      const found = (await sim.requests({ since })).filter(pick);
      if (found.length < count) throw new Error(`${found.length} of ${count} requests so far`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe("end to end in workerd: signed delivery → Worker → demo bot → simulator", () => {
  it("a signed DM fixture is answered: typing, then the stripped echo via sendText", async () => {
    const { body, chatGuid } = inOwnDm("dm-text");
    await seedInbound(env.SIMULATOR_URL, body);
    const since = await sim.mark();
    const response = await through(worker, await signedRequest(body));
    expect(response.status).toBe(200);
    const calls = await eventually(since, (r) => (r.body as { chatGuid?: string })?.chatGuid === chatGuid, 3);
    expect(calls.map((r) => [r.path, r.body])).toEqual([
      ["/v1/chats:setTyping", { chatGuid, isTyping: true }],
      ["/v1/messages:sendText", { chatGuid, text: "You said: hey bot, what's up?", clientMessageId: expect.stringMatching(/^d-[0-9a-f]{16}-0$/) }],
      ["/v1/chats:setTyping", { chatGuid }],
    ]);
  });

  it("the same delivery again is acknowledged as a duplicate and answered no second time", async () => {
    const { body, chatGuid } = inOwnDm("dm-text");
    await seedInbound(env.SIMULATOR_URL, body);
    const start = await sim.mark();
    await through(worker, await signedRequest(body, { webhookId: "wh_e2e_dup" }));
    await eventually(start, (r) => r.path === "/v1/messages:sendText" && (r.body as { chatGuid: string }).chatGuid === chatGuid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const since = await sim.mark();
    const again = await through(worker, await signedRequest(body, { webhookId: "wh_e2e_dup" }));
    expect(await again.json()).toMatchObject({ status: "duplicate" });
    expect((await sim.requests({ since })).filter((r) => r.path === "/v1/messages:sendText")).toEqual([]);
  });

  it("a group message mentioning the bot gets a reply in the group", async () => {
    const json = JSON.parse(withFreshId(fixture("group-text")));
    json.message.content.text = "@bot hello group";
    const since = await sim.mark();
    await through(worker, await signedRequest(JSON.stringify(json)));
    const [send] = await eventually(since, (r) => r.path === "/v1/messages:sendText" && (r.body as { chatGuid: string }).chatGuid === "any;+;chat914325730198374");
    expect(send?.body).toMatchObject({ chatGuid: "any;+;chat914325730198374", text: "You said: @bot hello group" });
  });

  it("'thanks' gets a heart tapback on the message", async () => {
    const { body, chatGuid, messageId } = inOwnDm("dm-text", { type: "text", text: "thanks!" });
    await seedInbound(env.SIMULATOR_URL, body);
    const since = await sim.mark();
    await through(worker, await signedRequest(body));
    const [reaction] = await eventually(
      since,
      (r) => r.path === "/v1/messages:setReaction" && (r.body as { target: { chatGuid: string } }).target.chatGuid === chatGuid,
    );
    expect(reaction?.body).toMatchObject({ target: { chatGuid, messageGuid: messageId }, isSet: true });
  });
});

describe("inbound details", () => {
  it("an inbound attachment's fetchData downloads its bytes from the server", async () => {
    const bytes = new TextEncoder().encode("the real picture bytes");
    const seeded = await sim.seedAttachment("photo.jpg", bytes, { mimeType: "image/jpeg" });
    const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
    const downloaded: Uint8Array[] = [];
    chat.onNewMention(async (_thread, message) => {
      const data = await message.attachments[0]?.fetchData?.();
      if (data) downloaded.push(new Uint8Array(data));
    });
    const json = JSON.parse(withFreshId(fixture("attachment")));
    json.message.content = { type: "attachment", id: seeded.guid, name: "photo.jpg", mimeType: "image/jpeg", size: bytes.length };
    const tasks: Promise<unknown>[] = [];
    await chat.webhooks.imessage(await signedRequest(JSON.stringify(json)), { waitUntil: (t) => tasks.push(t) });
    await Promise.all(tasks);
    expect(downloaded).toHaveLength(1);
    expect(new TextDecoder().decode(downloaded[0])).toBe("the real picture bytes");
  });

  it("a group mention range for the bot's address counts as a mention", async () => {
    const adapter = createiMessageAdapter({
      env: {},
      serverUrl: simulatorHostPort,
      apiKey: "sim_api_key",
      webhookSecret: SECRET,
      userName: "zed",
      logger: silent,
    });
    const chat = new Chat({ userName: "zed", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
    const mentions: string[] = [];
    chat.onNewMention(async (_thread, message) => {
      mentions.push(message.text);
    });
    const json = JSON.parse(withFreshId(fixture("group-text")));
    json.message.content = { type: "text", text: "Bot, thoughts?", mentions: [{ address: "+15550001111", start: 0, length: 3 }] };
    const tasks: Promise<unknown>[] = [];
    await chat.webhooks.imessage(await signedRequest(JSON.stringify(json)), { waitUntil: (t) => tasks.push(t) });
    await Promise.all(tasks);
    expect(mentions).toEqual(["Bot, thoughts?"]);
  });
});
