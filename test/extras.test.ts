import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { iMessageEffect, resolveEffect } from "../src/adapter/outbound/effects.ts";
import { SPECTRUM_MINI_APP } from "../src/adapter/outbound/mini-app.ts";
import { cloud, selfHosted, type Wired } from "./outbound-helpers.ts";
import type { RecordedRequest } from "./simulator/client.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const base64 = (data: Uint8Array) => btoa(String.fromCharCode(...data));

/** A DM of this test's own (created through the API), so parallel suites never share its requests. */
async function ownDm(w: Wired): Promise<{ threadId: string; chatGuid: string }> {
  const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  const threadId = await w.adapter.openDM(address);
  return { threadId, chatGuid: `any;-;${address}` };
}

async function requestsIn(w: Wired, path: string, chatGuid: string): Promise<RecordedRequest[]> {
  return (await w.requests(path)).filter((r) => (r.body as { chatGuid?: string } | undefined)?.chatGuid === chatGuid || r.query.chatGuid === chatGuid);
}

/** Asks the simulated server directly (not through the adapter) whether the chat has a background. */
async function hasBackground(chatGuid: string): Promise<boolean> {
  const response = await fetch(`${env.SIMULATOR_URL}/v1/chats:hasBackground?chatGuid=${encodeURIComponent(chatGuid)}`, {
    headers: { authorization: "Bearer sim_api_key" },
  });
  return ((await response.json()) as { backgroundPresent: boolean }).backgroundPresent;
}

function expectAuthenticated(request: RecordedRequest | undefined, mode: string): void {
  expect(request?.headers.authorization).toMatch(/^Bearer \S+/);
  if (mode === "self-host") expect(request?.headers.authorization).toBe("Bearer sim_api_key");
  else expect(request?.headers.authorization).not.toBe("Bearer sim_api_key");
}

describe("effect names", () => {
  it("every bubble and screen effect, any case, aliases and Apple ids resolve; unknown names say which exist", () => {
    for (const [name, id] of Object.entries(iMessageEffect)) {
      expect(resolveEffect(name)).toBe(id);
      expect(resolveEffect(id)).toBe(id);
      expect(resolveEffect(name.toUpperCase())).toBe(id);
    }
    expect(resolveEffect("Invisible Ink")).toBe("com.apple.MobileSMS.expressivesend.invisibleink");
    expect(resolveEffect("impact")).toBe("com.apple.MobileSMS.expressivesend.impact");
    expect(() => resolveEffect("glitter")).toThrow(/unknown iMessage effect "glitter": use one of slam, loud, gentle, invisible, confetti/);
  });
});

for (const [mode, make] of [
  ["self-host", () => selfHosted()],
  ["cloud", () => cloud()],
] as const) {
  describe(`extras (${mode})`, () => {
    it("sendEffect sends the text with the effect's Apple id, authenticated and idempotent", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      const sent = await w.adapter.sendEffect(threadId, "Happy birthday!", "confetti");
      const [request] = await requestsIn(w, "/v1/messages:sendText", chatGuid);
      expect(request?.method).toBe("POST");
      expect(request?.body).toMatchObject({ chatGuid, text: "Happy birthday!", effectId: "com.apple.messages.effect.CKConfettiEffect" });
      expectAuthenticated(request, mode);
      expect(request?.headers["x-idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
      const stored = await w.adapter.fetchMessage(threadId, sent.id);
      expect((stored?.raw as { content: { expressiveSendStyleId?: string } }).content.expressiveSendStyleId).toBe(iMessageEffect.confetti);

      await w.adapter.sendEffect(threadId, { markdown: "**Boom**" }, iMessageEffect.slam);
      const bodies = (await requestsIn(w, "/v1/messages:sendText", chatGuid)).map((r) => r.body);
      expect(bodies[1]).toMatchObject({ text: "Boom", effectId: "com.apple.MobileSMS.expressivesend.impact" });
    });

    it("sendEffect refuses an unknown effect and an empty text before any request", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      await expect(w.adapter.sendEffect(threadId, "hi", "glitter")).rejects.toThrow(/unknown iMessage effect/);
      await expect(w.adapter.sendEffect(threadId, "  ", "confetti")).rejects.toThrow(/sendEffect needs non-empty text/);
      expect(await requestsIn(w, "/v1/messages:sendText", chatGuid)).toEqual([]);
    });

    it("sendVoice uploads the audio and sends it as a voice note (isAudioMessage)", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      const audio = bytes("m4a audio bytes");
      const sent = await w.adapter.sendVoice(threadId, audio, { mimeType: "audio/mp4" });
      const upload = (await w.requests("/v1/attachments:upload")).find((r) => r.query.fileName === "voice.m4a" && r.bodyBytes === audio.byteLength);
      expect(upload?.method).toBe("POST");
      expectAuthenticated(upload, mode);
      const [send] = await requestsIn(w, "/v1/messages:sendAttachment", chatGuid);
      expect(send?.body).toMatchObject({ chatGuid, isAudioMessage: true, attachment: { attachmentGuid: expect.any(String) } });
      expectAuthenticated(send, mode);
      expect(send?.headers["x-idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
      expect((sent.raw as { isAudioMessage: boolean }).isAudioMessage).toBe(true);
    });

    it("sendVoice takes a FileUpload's name and type; refuses MP3 (no transcoding on Workers), paths and empty audio", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      await w.adapter.sendVoice(threadId, { filename: "hello.caf", data: new Blob([bytes("caf")]) });
      expect((await w.requests("/v1/attachments:upload")).some((r) => r.query.fileName === "hello.caf")).toBe(true);
      await expect(w.adapter.sendVoice(threadId, bytes("mp3"), { name: "hi.mp3" })).rejects.toThrow(/M4A \(AAC\) or CAF.*got audio\/mpeg.*transcode/);
      await expect(w.adapter.sendVoice(threadId, "/tmp/voice.m4a")).rejects.toThrow(/local file paths are not accepted/);
      await expect(w.adapter.sendVoice(threadId, new Uint8Array(), { mimeType: "audio/mp4" })).rejects.toThrow(/got no bytes/);
      await expect(w.adapter.sendVoice(threadId, bytes("x"))).rejects.toThrow(/cannot tell the media type: pass options.mimeType/);
      await expect(w.adapter.sendVoice(threadId, `${env.SIMULATOR_URL}/__sim/no-such-audio.m4a`)).rejects.toThrow(/could not fetch .*HTTP 404/);
      expect(await requestsIn(w, "/v1/messages:sendAttachment", chatGuid)).toHaveLength(1);
    });

    it("setBackground sends the image as base64 bytes; null and \"clear\" remove it", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      const image = bytes("\u00ff\u00d8jpeg bytes");
      await w.adapter.setBackground(threadId, image, { mimeType: "image/jpeg" });
      const [set] = await requestsIn(w, "/v1/chats:setBackground", chatGuid);
      expect(set?.body).toEqual({ chatGuid, data: base64(image) });
      expectAuthenticated(set, mode);
      expect(await hasBackground(chatGuid)).toBe(true);

      await w.adapter.setBackground(threadId, null);
      const [removed] = await requestsIn(w, "/v1/chats:removeBackground", chatGuid);
      expect(removed?.body).toEqual({ chatGuid });
      expect(await hasBackground(chatGuid)).toBe(false);

      await w.adapter.setBackground(threadId, new Blob([image], { type: "image/png" }));
      await w.adapter.setBackground(threadId, "clear");
      expect(await requestsIn(w, "/v1/chats:removeBackground", chatGuid)).toHaveLength(2);
      await expect(w.adapter.setBackground(threadId, bytes("not an image"), { name: "notes.txt" })).rejects.toThrow(/cannot tell the media type/);
      await expect(w.adapter.setBackground(threadId, bytes("x"), { mimeType: "audio/mp4" })).rejects.toThrow(/needs image\/\* media, got audio\/mp4/);
    });

    it("sendMiniApp sends your extension's card, and a bare URL as Spectrum's card", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      const card = {
        appName: "Orders",
        teamId: "ABCDE12345",
        extensionBundleId: "com.acme.orders.MessagesExtension",
        url: new URL("https://acme.example/orders/42"),
        appStoreId: 1234567890,
        layout: { caption: "Order #42", subcaption: "Out for delivery", image: bytes("\u00ff\u00d8jpeg"), imageTitle: "ACME" },
      };
      const sent = await w.adapter.sendMiniApp(threadId, card);
      const [request] = await requestsIn(w, "/v1/messages:sendCustomizedMiniApp", chatGuid);
      expect(request?.body).toMatchObject({
        chatGuid,
        appName: "Orders",
        teamId: "ABCDE12345",
        extensionBundleId: "com.acme.orders.MessagesExtension",
        url: "https://acme.example/orders/42",
        layout: { caption: "Order #42", subcaption: "Out for delivery", imageTitle: "ACME", image: base64(bytes("\u00ff\u00d8jpeg")) },
      });
      expectAuthenticated(request, mode);
      expect(request?.headers["x-idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
      expect((sent.raw as { miniAppCardSession?: { messageGuid: string } }).miniAppCardSession?.messageGuid).toBe(sent.id);

      await w.adapter.sendMiniApp(threadId, async () => "https://www.example.com/menu");
      const bare = (await requestsIn(w, "/v1/messages:sendCustomizedMiniApp", chatGuid))[1];
      expect(bare?.body).toMatchObject({
        appName: SPECTRUM_MINI_APP.appName,
        teamId: SPECTRUM_MINI_APP.teamId,
        extensionBundleId: SPECTRUM_MINI_APP.extensionBundleId,
        url: "https://www.example.com/menu",
        layout: { caption: "example.com", summary: "example.com" },
      });
    });

    it("sendMiniApp refuses malformed cards before any request", async () => {
      const w = await make();
      const { threadId, chatGuid } = await ownDm(w);
      const card = { appName: "Orders", teamId: "ABCDE12345", extensionBundleId: "com.acme.ext", url: "https://acme.example" };
      await expect(w.adapter.sendMiniApp(threadId, { ...card, teamId: "abc" })).rejects.toThrow(/teamId must be 10 uppercase/);
      await expect(w.adapter.sendMiniApp(threadId, { ...card, extensionBundleId: "a:b" })).rejects.toThrow(/must not contain ':'/);
      await expect(w.adapter.sendMiniApp(threadId, { ...card, url: "ftp://acme.example" })).rejects.toThrow(/absolute http\(s\) URL/);
      await expect(w.adapter.sendMiniApp(threadId, { ...card, layout: { imageTitle: "x", caption: "c" } })).rejects.toThrow(/image and imageTitle go together/);
      await expect(w.adapter.sendMiniApp(threadId, "not a url")).rejects.toThrow(/absolute http\(s\) URL/);
      expect(await requestsIn(w, "/v1/messages:sendCustomizedMiniApp", chatGuid)).toEqual([]);
    });
  });
}
