/**
 * Inbound attachment bytes inside a Worker's memory: `fetchData` fills one buffer sized from the declared
 * total, refuses files over the cap with an error that says to stream, `stream()` hands them on chunk by
 * chunk, and `rehydrateAttachment` rebuilds both after the Chat SDK serialised a message.
 */
import { Chat, type Attachment } from "chat";
import { describe, expect, it } from "vitest";
import { readAttachment } from "../src/core/attachment-bytes.ts";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { fixture, SECRET, signedRequest, withFreshId } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { silent, sim, simulatorHostPort } from "./outbound-helpers.ts";

const pattern = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);

/** A bot that keeps the attachments of the messages it is handed. */
async function botReceiving(bytes: Uint8Array, maxAttachmentBytes?: number) {
  const seeded = await sim.seedAttachment("clip.mov", bytes, { mimeType: "video/quicktime" });
  const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent, maxAttachmentBytes });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
  const received: Attachment[] = [];
  chat.onNewMention(async (_thread, message) => void received.push(...message.attachments));
  const json = JSON.parse(withFreshId(fixture("attachment")));
  json.message.content = { type: "attachment", id: seeded.guid, name: "clip.mov", mimeType: "video/quicktime", size: bytes.length };
  const tasks: Promise<unknown>[] = [];
  await chat.webhooks.imessage(await signedRequest(JSON.stringify(json)), { waitUntil: (t) => void tasks.push(t) });
  await Promise.all(tasks);
  expect(received).toHaveLength(1);
  return { adapter, attachment: received[0] as Attachment & { stream?: () => ReadableStream<Uint8Array> } };
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

describe("attachment bytes", () => {
  it("fetchData returns exactly the file (3 MiB), in one buffer of the file's size", async () => {
    const bytes = pattern(3 * 1024 * 1024);
    const { attachment } = await botReceiving(bytes);
    const data = new Uint8Array((await attachment.fetchData?.()) as ArrayBuffer);
    expect(data.byteLength).toBe(bytes.byteLength);
    expect(data.buffer.byteLength).toBe(bytes.byteLength);
    expect(data).toEqual(bytes);
  });

  it("a file over maxAttachmentBytes: fetchData throws saying to stream; stream() delivers it whole", async () => {
    const bytes = pattern(2 * 1024 * 1024 + 5);
    const { attachment } = await botReceiving(bytes, 1024 * 1024);
    await expect(attachment.fetchData?.()).rejects.toThrow(/over the 1048576-byte limit of fetchData.*stream it instead/);
    expect(typeof attachment.stream).toBe("function");
    expect(await drain((attachment.stream as () => ReadableStream<Uint8Array>)())).toEqual(bytes);
  });

  it("rehydrateAttachment rebuilds fetchData and stream from fetchMetadata after serialisation", async () => {
    const bytes = pattern(4096);
    const { adapter, attachment } = await botReceiving(bytes);
    const restored = JSON.parse(JSON.stringify(attachment)) as Attachment;
    expect(restored.fetchData).toBeUndefined();
    const rehydrated = adapter.rehydrateAttachment(restored) as Attachment & { stream: () => ReadableStream<Uint8Array> };
    expect(new Uint8Array((await rehydrated.fetchData?.()) as ArrayBuffer)).toEqual(bytes);
    expect(await drain(rehydrated.stream())).toEqual(bytes);
  });

  it("readAttachment allocates from the declared total once: chunks fill it without another copy", async () => {
    const total = 10_000;
    async function* frames() {
      yield { type: "header" as const, info: { totalBytes: total } as never };
      for (let i = 0; i < 10; i++) yield { type: "primaryChunk" as const, data: pattern(1000) };
    }
    const buffer = await readAttachment(frames(), "att", 1_000_000);
    expect(buffer.byteLength).toBe(total);
  });
});
