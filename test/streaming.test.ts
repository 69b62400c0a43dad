/**
 * Native streaming, send-then-edit: the user sees the first words at once, the message grows by at
 * most 5 edits at growing intervals, the final text is exact, and a stream without text sends nothing —
 * through the Chat SDK's own `thread.post(stream)` against the simulated server.
 */
import { Chat, type Adapter } from "chat";
import { describe, expect, it } from "vitest";
import { MAX_STREAM_EDITS, streamToMessage } from "../src/adapter/outbound/streaming.ts";
import { createMemoryState } from "./memory-state.ts";
import { DM, selfHosted, sim } from "./outbound-helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("streamToMessage", () => {
  it("40 chunks over 40 s of a fake clock: one send, at most 5 edits, the last one the exact text", async () => {
    let clock = 0;
    const calls: string[] = [];
    async function* chunks() {
      for (let i = 0; i < 40; i++) {
        clock += 1000;
        yield `w${i} `;
      }
    }
    const raw = await streamToMessage(chunks(), {
      post: async (m) => (calls.push(`post:${(m as { markdown: string }).markdown}`), { id: "m1", threadId: "t", raw: {} }),
      edit: async (_id, m) => (calls.push(`edit:${(m as { markdown: string }).markdown}`), { id: "m1", threadId: "t", raw: {} }),
      nothingSent: () => ({ id: "", threadId: "t", raw: {} }),
      buffered: false,
      now: () => clock,
    });
    expect(raw.id).toBe("m1");
    expect(calls[0]).toBe("post:w0 ");
    const edits = calls.filter((c) => c.startsWith("edit:"));
    expect(edits.length).toBeLessThanOrEqual(MAX_STREAM_EDITS);
    expect(edits.at(-1)).toBe(`edit:${Array.from({ length: 40 }, (_, i) => `w${i} `).join("")}`);
  });
});

describe("thread.post(stream) through the Chat SDK", () => {
  async function bot(placeholder?: null) {
    const w = await selfHosted();
    const chat = new Chat({
      userName: "bot",
      adapters: { imessage: w.adapter as Adapter },
      state: createMemoryState(),
      logger: "silent",
      ...(placeholder === null ? { fallbackStreamingPlaceholderText: null } : {}),
    });
    await chat.initialize();
    return { w, thread: chat.thread(DM) };
  }

  it("the first words are sent before the stream ends, then edited to the exact final text", async () => {
    const { w, thread } = await bot();
    let sentBeforeEnd = 0;
    async function* answer() {
      yield "The answer";
      await sleep(1_200);
      sentBeforeEnd = (await w.requests("/v1/messages:sendText")).length;
      yield " is 42";
      yield ".";
    }
    await thread.post(answer());
    expect(sentBeforeEnd).toBe(1);
    const sends = await w.requests("/v1/messages:sendText");
    expect(sends.map((s) => (s.body as { text: string }).text)).toEqual(["The answer"]);
    const edits = await w.requests("/v1/messages:edit");
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(edits.length).toBeLessThanOrEqual(MAX_STREAM_EDITS);
    expect(JSON.stringify(edits.at(-1)?.body)).toContain("The answer is 42.");
  });

  for (const placeholder of [undefined, null] as const) {
    it(`an empty or tools-only stream sends nothing and does not throw (placeholder ${placeholder === null ? "off" : "on"})`, async () => {
      const { w, thread } = await bot(placeholder);
      async function* empty() {
        yield "";
        yield { type: "tool-call", toolName: "search" } as never;
      }
      await expect(thread.post(empty())).resolves.toBeDefined();
      expect(await w.requests("/v1/messages:sendText")).toEqual([]);
      expect(await w.requests("/v1/messages:edit")).toEqual([]);
      const { delivered } = await sim.sends({ since: 0, chatPrefix: "any;-;+15551234567" });
      expect(delivered.some((m) => m.text === "..." || m.text === " ")).toBe(false);
    });
  }
});
