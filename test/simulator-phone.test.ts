/**
 * The simulator's phone side, in process (no node:http, no shared state): a text with a photo
 * arrives as a group of message records, a registered webhook gets a signed outbound echo and a
 * `read` receipt after each delivered bot send, and the chat page can fetch the photo's bytes.
 */
import { verifySpectrumSignature } from "@spectrum-ts/core/webhook";
import { describe, expect, it } from "vitest";
import { createSimulator } from "./simulator/app.ts";
import { buildEnvelope } from "./simulator/client.ts";

const SECRET = "f5551891557aca20dbfa4f43cd34eaca5e16668f9fd5bc06a1f49507a2640572,whsec_HcUVB/nB6XWx7cOw8lIlHULEp/BRziyPWeLJnkCLgTE=";
const HOOK = "http://worker.test/api/imessage/webhook";
const DM = "any;-;+15557770001";

interface Received {
  headers: Headers;
  body: string;
}

function simulatorWithReceiver() {
  const received: Received[] = [];
  const sim = createSimulator({
    fetch: async (input, init) => {
      const body = String(init?.body ?? "");
      received.push({ headers: new Headers(init?.headers), body });
      const parsed = JSON.parse(body) as { message: { direction?: string } };
      return Response.json({ status: parsed.message.direction === "outbound" ? "ignored" : "accepted" });
    },
  });
  const call = async (path: string, body?: unknown, method = "POST"): Promise<Response> =>
    await sim.fetch(
      new Request(`http://sim${path}`, {
        method,
        headers: { authorization: "Bearer sim_api_key", "content-type": "application/json" },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      }),
    );
  return { sim, received, call };
}

describe("the simulator speaks today's Spectrum", () => {
  it("stores a photo with a caption (a group of records) and serves the photo's bytes", async () => {
    const { sim, call } = simulatorWithReceiver();
    const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const seeded = await sim.fetch(new Request("http://sim/__sim/attachments?fileName=cat.png&guid=at_cat&mimeType=image/png", { method: "POST", body: bytes }));
    expect(seeded.status).toBe(200);
    const id = "spc-msg-photo-1";
    const content = {
      type: "group",
      items: [
        { id: `p:0/${id}`, content: { type: "text", text: "look at this" } },
        { id: `p:1/${id}`, content: { type: "attachment", id: "at_cat", name: "cat.png", mimeType: "image/png", size: bytes.byteLength } },
      ],
    };
    const delivered = await call("/__sim/deliver", { url: HOOK, secret: SECRET, envelope: buildEnvelope({ chatGuid: DM, sender: "+15557770001", content, messageId: id }) });
    expect(delivered.status).toBe(200);
    const stored = sim.world().messages.get(id);
    expect(stored).toMatchObject({ text: "look at this", attachmentGuids: ["at_cat"], partCount: 2 });
    const wire = sim.world().messageJson(stored!);
    expect(wire.content.attachments.map((a) => a.fileName)).toEqual(["cat.png"]);

    const photo = await sim.fetch(new Request("http://sim/__sim/attachments/at_cat"));
    expect(photo.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await photo.arrayBuffer())).toEqual(bytes);
    expect((await sim.fetch(new Request("http://sim/__sim/attachments/at_none"))).status).toBe(404);
  });

  it("after a delivered bot send, a registered webhook gets a signed echo, then a read receipt of that message", async () => {
    const { sim, received, call } = simulatorWithReceiver();
    expect((await call("/__sim/webhook", { url: "ftp://x", secret: SECRET })).status).toBe(400);
    const registered = await call("/__sim/webhook", { url: HOOK, secret: SECRET, echoes: true, receipts: true, readAfterMs: 20, chatPrefix: DM });
    expect(((await registered.json()) as { webhook: { id: string } }).webhook.id).toMatch(/^whr_/);

    await call("/__sim/deliver", { url: HOOK, secret: SECRET, envelope: buildEnvelope({ chatGuid: DM, sender: "+15557770001", text: "hi" }) });
    const sent = (await (await call("/v1/messages:sendText", { chatGuid: DM, text: "You said: hi" })).json()) as { message: { guid: string } };
    // A chat outside the registration's prefix gets nothing.
    await call("/v1/messages:sendText", { chatGuid: "any;+;chat914325730198374", text: "elsewhere" });
    await sim.webhooks.settled();

    const [inbound, echo, read, ...rest] = received.map((r) => ({ ...r, json: JSON.parse(r.body) }));
    expect(rest).toEqual([]);
    expect(inbound?.json.message.content).toEqual({ type: "text", text: "hi" });
    expect(echo?.json.message).toMatchObject({
      id: sent.message.guid,
      direction: "outbound",
      space: { id: DM },
      sender: { id: sim.world().selfAddress },
      content: { type: "text", text: "You said: hi" },
    });
    expect(read?.json.message).toMatchObject({
      direction: "inbound",
      sender: { id: "+15557770001" },
      space: { id: DM },
      content: { type: "read", target: { id: sent.message.guid } },
    });
    expect(read?.json.message.id).not.toBe(sent.message.guid);
    for (const delivery of [echo!, read!]) {
      // Both header sets, as the demo's `hex,whsec_…` pair signs them.
      expect(delivery.headers.get("webhook-signature")).toMatch(/^v1,/);
      const verdict = await verifySpectrumSignature({
        headers: Object.fromEntries(delivery.headers),
        rawBody: new TextEncoder().encode(delivery.body),
        secret: SECRET.split(",")[0]!,
      });
      expect(verdict).toMatchObject({ ok: true });
    }
    const answers = sim.deliveries.map((d) => JSON.parse(d.body).status);
    expect(answers).toEqual(["accepted", "ignored", "accepted"]);

    // Unregistered: the next send is followed by nothing.
    await call("/__sim/webhook", undefined, "DELETE");
    await call("/v1/messages:sendText", { chatGuid: DM, text: "quiet" });
    await sim.webhooks.settled();
    expect(received).toHaveLength(3);
  });

  it("an echo of a photo with a caption is a group of records, like the inbound form", async () => {
    const { sim, received, call } = simulatorWithReceiver();
    await call("/__sim/webhook", { url: HOOK, secret: SECRET, receipts: false });
    const upload = await sim.fetch(
      new Request("http://sim/v1/attachments:upload?fileName=map.png", { method: "POST", headers: { authorization: "Bearer sim_api_key" }, body: new Uint8Array([1, 2]) }),
    );
    const { attachment } = (await upload.json()) as { attachment: { guid: string } };
    const sent = (await (
      await call("/v1/messages:sendMultipart", { chatGuid: "any;+;chat914325730198374", parts: [{ text: "here" }, { attachment: { attachmentGuid: attachment.guid } }] })
    ).json()) as { message: { guid: string } };
    await sim.webhooks.settled();
    expect(received.map((r) => JSON.parse(r.body).message.content)).toEqual([
      {
        type: "group",
        items: [
          { id: `p:0/${sent.message.guid}`, content: { type: "text", text: "here" } },
          { id: `p:1/${sent.message.guid}`, content: { type: "attachment", id: attachment.guid, name: "map.png", mimeType: "image/png", size: 2 } },
        ],
      },
    ]);
  });
});
