/**
 * What Spectrum sends today reaches the bot, at the Worker's boundary through the durable ledger:
 * group items as message records (a text with a photo, an album, a reply wrapping a group), unknown
 * content, the Standard `message.received` wrapper and `raw-inbound.v1` (the same message under both
 * schemas handled once) — while receipts and echoes are acknowledged without running a handler.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../demo/index.ts";
import { inOwnDm, seedInbound, signedRequest, through, WEBHOOK_URL } from "./helpers.ts";
import { delivered, sim } from "./outbound-helpers.ts";
import { rawInboundWrapper } from "./simulator/raw-inbound.ts";
import { spectrumWebhookHeaders } from "./simulator/webhook.ts";

const WHSEC = `whsec_${btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => (i * 17 + 3) & 0xff)))}`;
/** The test Worker's env with a Standard secret beside the native one (as a registration gives both). */
const bothSecrets = { ...env, IMESSAGE_WEBHOOK_SECRET: `${env.IMESSAGE_WEBHOOK_SECRET},${WHSEC}` } as Env;

const photo = (id: string, name = "IMG_0001.HEIC") => ({ type: "attachment", id, name, mimeType: "image/heic", size: 48_213 });

async function expectReplies(chatGuid: string, replies: string[]): Promise<void> {
  await vi.waitFor(async () => expect(await delivered(chatGuid)).toEqual(replies), { timeout: 15_000, interval: 100 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await delivered(chatGuid)).toEqual(replies);
}

/** A DM of its own whose message carries `content`, known to the simulated server. */
async function dmWith(content: Record<string, unknown>) {
  const dm = inOwnDm("dm-text", content);
  await seedInbound(env.SIMULATOR_URL, inOwnDm("dm-text").body.replace(/any;-;\+1555\d{7}/g, dm.chatGuid));
  return dm;
}

async function accepted(response: Response): Promise<void> {
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toMatchObject({ status: "accepted" });
}

describe("group records, replies and unknown content reach the bot once", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "a text with a photo (group of records)",
      { type: "group", items: [{ id: "p:0/m1", content: { type: "text", text: "look at this" } }, { id: "p:1/m1", content: photo("att-1") }] },
      'Got your file: IMG_0001.HEIC — "look at this"',
    ],
    [
      "two photos (group of records)",
      { type: "group", items: [{ id: "p:0/m2", content: photo("att-2", "a.jpg") }, { id: "p:1/m2", content: photo("att-3", "b.jpg") }] },
      "Got your files: a.jpg, b.jpg",
    ],
    [
      "a group of bare contents (the catch-up form)",
      { type: "group", items: [{ type: "text", text: "caption" }, photo("att-4", "c.jpg")] },
      'Got your file: c.jpg — "caption"',
    ],
    [
      "a reply wrapping a group of records",
      {
        type: "reply",
        target: { id: "spc-msg-earlier", contentPreview: "earlier" },
        content: { type: "group", items: [{ id: "p:0/m3", content: { type: "text", text: "this one" } }, { id: "p:1/m3", content: photo("att-5", "d.jpg") }] },
      },
      'Got your file: d.jpg — "this one"',
    ],
    ["a content type this version does not know (empty text, raw kept)", { type: "hologram", frames: 3 }, "You said:"],
  ];
  for (const [name, content, reply] of cases) {
    it(`${name} → 200 accepted, the bot answers once`, async () => {
      const dm = await dmWith(content);
      await accepted(await through(worker, await signedRequest(dm.body)));
      await expectReplies(dm.chatGuid, [reply]);
    });
  }
});

describe("not messages: acknowledged 200 ignored, no handler runs", () => {
  for (const [name, mutate] of [
    ["an outbound echo of the bot's own send", (json: { message: Record<string, unknown> }) => void (json.message.direction = "outbound")],
    ["a delivered receipt", (json: { message: Record<string, unknown> }) => void (json.message.content = { type: "delivered", target: { id: "bot-1" } })],
  ] as const) {
    it(name, async () => {
      const dm = await dmWith({ type: "text", text: "echo" });
      const json = JSON.parse(dm.body);
      mutate(json);
      const response = await through(worker, await signedRequest(JSON.stringify(json)));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: "ignored", reason: expect.stringMatching(/not a message/) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await delivered(dm.chatGuid)).toEqual([]);
    });
  }
});

describe("Standard Webhooks wrappers", () => {
  async function standardDelivery(body: string): Promise<Request> {
    const headers = await spectrumWebhookHeaders({ secret: WHSEC, body, schemes: "standard" });
    return new Request(WEBHOOK_URL, { method: "POST", headers, body });
  }

  it("message.received wrapping a normalized envelope (request.body JSON) → handled once", async () => {
    const dm = await dmWith({ type: "text", text: "wrapped" });
    const body = JSON.stringify({
      type: "message.received",
      schemaVersion: 1,
      eventId: `evt_${crypto.randomUUID()}`,
      platform: "imessage",
      projectId: "proj_test",
      prevSubjectSeq: 0,
      request: { method: "POST", path: "/", headers: { "content-type": "application/json" }, bodyEncoding: "json", body: JSON.parse(dm.body) },
    });
    await accepted(await through(worker, await standardDelivery(body), bothSecrets));
    await expectReplies(dm.chatGuid, ["You said: wrapped"]);
  });

  it("raw-inbound.v1 (a protobuf CatchUpEvent) → handled once; the same message on the normalized schema is a duplicate", async () => {
    const dm = await dmWith({ type: "text", text: "raw hello" });
    const address = dm.address;
    const guid = `spc-msg-${crypto.randomUUID()}`;
    const wrapper = rawInboundWrapper({ kind: "message", message: { guid, chatGuid: dm.chatGuid, sender: address, text: "raw hello" } });
    await accepted(await through(worker, await standardDelivery(JSON.stringify(wrapper)), bothSecrets));
    await expectReplies(dm.chatGuid, ["You said: raw hello"]);
    // The handoff between schemas may overlap: the normalized copy of the same message is not handled again.
    const normalized = JSON.parse(dm.body);
    normalized.message.id = guid;
    const again = await through(worker, await signedRequest(JSON.stringify(normalized)), bothSecrets);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: expect.stringMatching(/^(duplicate|in-flight)$/) });
    await expectReplies(dm.chatGuid, ["You said: raw hello"]);
  });

  it("raw-inbound.v1 with a text and a photo → one message with its attachment", async () => {
    const dm = await dmWith({ type: "text", text: "x" });
    const wrapper = rawInboundWrapper({
      kind: "message",
      message: {
        chatGuid: dm.chatGuid,
        sender: dm.address,
        text: "with photo",
        attachments: [{ guid: `spc-att-${crypto.randomUUID()}`, fileName: "e.jpg", mimeType: "image/jpeg", totalBytes: 1234 }],
      },
    });
    await accepted(await through(worker, await standardDelivery(JSON.stringify(wrapper)), bothSecrets));
    await expectReplies(dm.chatGuid, ['Got your file: e.jpg — "with photo"']);
  });

  it("the simulator delivers a text with a photo as raw-inbound.v1 (POST /__sim/deliver schema), and the Worker answers it once", async () => {
    const dm = await dmWith({
      type: "group",
      items: [{ id: "p:0/x", content: { type: "text", text: "sim raw" } }, { id: "p:1/x", content: photo(`spc-att-${crypto.randomUUID()}`, "f.jpg") }],
    });
    const result = await sim.deliver({ url: `${env.SIMULATOR_URL}/__sim/echo`, secret: `${env.IMESSAGE_WEBHOOK_SECRET},${WHSEC}`, envelope: dm.body, schema: "raw-inbound.v1" });
    expect(result.status).toBe(200);
    const echoed = JSON.parse(result.body) as { headers: Record<string, string>; body: string };
    expect(echoed.headers["x-spectrum-signature"]).toBeUndefined();
    expect(JSON.parse(echoed.body)).toMatchObject({ type: "message.received", request: { headers: { "content-type": "application/x-protobuf" } } });
    const request = new Request(WEBHOOK_URL, { method: "POST", headers: echoed.headers, body: echoed.body });
    await accepted(await through(worker, request, bothSecrets));
    await expectReplies(dm.chatGuid, ['Got your file: f.jpg — "sim raw"']);
  });

  it("raw-inbound.v1 whose frame is not protobuf → 400 saying so, never 200", async () => {
    const dm = inOwnDm("dm-text");
    const wrapper = rawInboundWrapper({ kind: "message", message: { chatGuid: dm.chatGuid, sender: dm.address, text: "x" } }, { rawBody: new Uint8Array([0xff, 0xff, 0xff, 0x01]) });
    const response = await through(worker, await standardDelivery(JSON.stringify(wrapper)), bothSecrets);
    expect(response.status).toBe(400);
  });
});
