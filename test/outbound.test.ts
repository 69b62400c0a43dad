import { NotImplementedError } from "chat";
import { describe, expect, it } from "vitest";
import { DM, DM_GUID, cloud, selfHosted, sim } from "./outbound-helpers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

for (const [mode, make] of [
  ["self-host", () => selfHosted()],
  ["cloud", () => cloud()],
] as const) {
  describe(`outbound operations (${mode})`, () => {
    it("postMessage sends markdown as plain text with the bearer token and an idempotency key", async () => {
      const w = await make();
      const sent = await w.adapter.postMessage(DM, {
        markdown: "**Hello** _there_, see [the docs](https://example.com/docs)\n\n- one\n- two",
      });
      const [request] = await w.requests("/v1/messages:sendText");
      expect(request?.body).toEqual({
        chatGuid: DM_GUID,
        text: "Hello there, see the docs (https://example.com/docs)\n\n• one\n• two",
        // Outside a delivery: one random key per logical write, kept across that write's own retries.
        clientMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(request?.headers.authorization).toMatch(/^Bearer \S+/);
      expect(request?.headers["x-idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(sent.id).toMatch(/\S/);
      expect(sent.threadId).toBe(DM);
    });

    it("a plain string is sent verbatim (no markdown reinterpretation)", async () => {
      const w = await make();
      await w.adapter.postMessage(DM, "2*3*4 = 24 and snake_case_stays");
      const [request] = await w.requests("/v1/messages:sendText");
      expect((request?.body as { text: string }).text).toBe("2*3*4 = 24 and snake_case_stays");
    });

    it("text + files upload each file and send one multipart message", async () => {
      const w = await make();
      await w.adapter.postMessage(DM, {
        markdown: "Here you go",
        files: [
          { filename: "a.txt", data: bytes("first file"), mimeType: "text/plain" },
          { filename: "b.txt", data: new Blob([bytes("second")]) },
        ],
      });
      const uploads = await w.requests("/v1/attachments:upload");
      expect(uploads.map((u) => [u.query.fileName, u.bodyBytes])).toEqual([
        ["a.txt", 10],
        ["b.txt", 6],
      ]);
      const [multipart] = await w.requests("/v1/messages:sendMultipart");
      const parts = (multipart?.body as { parts: { text?: string; attachment?: { attachmentGuid?: string; attachmentName?: string } }[] })
        .parts;
      expect(parts[0]).toMatchObject({ text: "Here you go" });
      expect(parts.slice(1).map((p) => p.attachment?.attachmentName)).toEqual(["a.txt", "b.txt"]);
      expect(parts.slice(1).every((p) => typeof p.attachment?.attachmentGuid === "string")).toBe(true);
    });

    it("a single file without text is sent as an attachment", async () => {
      const w = await make();
      await w.adapter.postMessage(DM, { raw: "", files: [{ filename: "pic.png", data: bytes("PNG") }] });
      const [send] = await w.requests("/v1/messages:sendAttachment");
      expect(send?.body).toMatchObject({ chatGuid: DM_GUID, attachment: { attachmentGuid: expect.any(String) } });
    });

    it("editMessage, deleteMessage target the message in the chat", async () => {
      const w = await make();
      const sent = await w.adapter.postMessage(DM, "tpyo");
      await w.adapter.editMessage(DM, sent.id, { markdown: "**typo** fixed" });
      await w.adapter.deleteMessage(DM, sent.id);
      const [edit] = await w.requests("/v1/messages:edit");
      expect(edit?.body).toMatchObject({ target: { chatGuid: DM_GUID, messageGuid: sent.id }, newText: "typo fixed" });
      const [unsend] = await w.requests("/v1/messages:unsend");
      expect(unsend?.body).toMatchObject({ target: { chatGuid: DM_GUID, messageGuid: sent.id } });
    });

    it("tapbacks: every alias maps to its kind; removal unsets it; anything else is a clear error", async () => {
      const w = await make();
      const sent = await w.adapter.postMessage(DM, "react to me");
      const aliases: [string, string | undefined][] = [
        ["love", undefined],
        ["heart", undefined],
        ["like", "MESSAGE_REACTION_KIND_LIKE"],
        ["thumbs_up", "MESSAGE_REACTION_KIND_LIKE"],
        ["dislike", "MESSAGE_REACTION_KIND_DISLIKE"],
        ["thumbs_down", "MESSAGE_REACTION_KIND_DISLIKE"],
        ["laugh", "MESSAGE_REACTION_KIND_LAUGH"],
        ["emphasize", "MESSAGE_REACTION_KIND_EMPHASIZE"],
        ["exclamation", "MESSAGE_REACTION_KIND_EMPHASIZE"],
        ["question", "MESSAGE_REACTION_KIND_QUESTION"],
      ];
      for (const [alias] of aliases) await w.adapter.addReaction(DM, sent.id, alias);
      await w.adapter.removeReaction(DM, sent.id, "thumbs_up");
      const reactions = await w.requests("/v1/messages:setReaction");
      expect(reactions).toHaveLength(aliases.length + 1);
      aliases.forEach(([, kind], i) => {
        const body = reactions[i]?.body as { reaction: { kind?: string }; isSet?: boolean; target: unknown };
        expect(body.reaction.kind).toBe(kind);
        expect(body.isSet).toBe(true);
        expect(body.target).toEqual({ chatGuid: DM_GUID, messageGuid: sent.id });
      });
      const removal = reactions.at(-1)?.body as { reaction: { kind?: string }; isSet?: boolean };
      expect(removal).toMatchObject({ reaction: { kind: "MESSAGE_REACTION_KIND_LIKE" } });
      expect(removal.isSet).toBeUndefined();
      await expect(w.adapter.addReaction(DM, sent.id, "not_an_emoji_name")).rejects.toThrow(/"not_an_emoji_name" is not an emoji/);
    });

    it("any other emoji is an emoji tapback (iOS 18), by character, well-known name or placeholder, set and removed", async () => {
      const w = await make();
      const sent = await w.adapter.postMessage(DM, "react to me");
      await w.mark();
      await w.adapter.addReaction(DM, sent.id, "👀");
      await w.adapter.addReaction(DM, sent.id, "fire");
      await w.adapter.addReaction(DM, sent.id, "{{emoji:rocket}}");
      await w.adapter.removeReaction(DM, sent.id, "👀");
      const bodies = (await w.requests("/v1/messages:setReaction")).map((r) => r.body as { reaction: { kind?: string; emoji?: string }; isSet?: boolean });
      expect(bodies.map((b) => [b.reaction.kind, b.reaction.emoji, b.isSet ?? false])).toEqual([
        ["MESSAGE_REACTION_KIND_EMOJI", "👀", true],
        ["MESSAGE_REACTION_KIND_EMOJI", "🔥", true],
        ["MESSAGE_REACTION_KIND_EMOJI", "🚀", true],
        ["MESSAGE_REACTION_KIND_EMOJI", "👀", false],
      ]);
    });

    it("typing starts, and the next post clears it without a timer", async () => {
      const w = await make();
      await w.adapter.startTyping(DM);
      await w.adapter.postMessage(DM, "done thinking");
      const typing = await w.requests("/v1/chats:setTyping");
      expect(typing.map((t) => t.body)).toEqual([{ chatGuid: DM_GUID, isTyping: true }, { chatGuid: DM_GUID }]);
    });

    it("openDM creates the DM and returns a thread id that posts cold", async () => {
      const w = await make();
      const threadId = await w.adapter.openDM("+1 (555) 000-4242");
      expect(threadId).toBe("imessage:any;-;+15550004242");
      await w.adapter.postMessage(threadId, "hello stranger");
      const [create] = await w.requests("/v1/chats");
      expect(create?.body).toMatchObject({ addresses: ["+15550004242"] });
      const [send] = await w.requests("/v1/messages:sendText");
      expect(send?.body).toMatchObject({ chatGuid: "any;-;+15550004242", text: "hello stranger" });
      await expect(w.adapter.openDM("not an address")).rejects.toThrow(/phone number \(E\.164/);
    });

    it("fetchMessage returns the message, or null when the server does not know it", async () => {
      const w = await make();
      const sent = await w.adapter.postMessage(DM, "find me");
      const found = await w.adapter.fetchMessage(DM, sent.id);
      expect(found).toMatchObject({ id: sent.id, text: "find me", threadId: DM });
      expect(found?.author.isMe).toBe(true);
      expect(await w.adapter.fetchMessage(DM, "no-such-guid")).toBeNull();
    });

    it("markAsRead sends a read receipt for the chat", async () => {
      const w = await make();
      await w.adapter.markAsRead(DM);
      const [read] = await w.requests("/v1/chats:markRead");
      expect(read?.body).toEqual({ chatGuid: DM_GUID });
    });

    it("reply sends an inline reply to the target message", async () => {
      const w = await make();
      const sent = await w.adapter.postMessage(DM, "original");
      await w.adapter.reply(DM, sent.id, "an inline answer");
      const sends = await w.requests("/v1/messages:sendText");
      expect(sends.at(-1)?.body).toMatchObject({ chatGuid: DM_GUID, text: "an inline answer", replyTo: { messageGuid: sent.id } });
    });

    it("stream sends the first text at once and edits it to the exact final text", async () => {
      const w = await make();
      async function* chunks() {
        yield "Thinking";
        yield { type: "markdown_text" as const, text: " **hard**" };
        yield " about it.";
      }
      const sent = await w.adapter.stream(DM, chunks());
      const sends = await w.requests("/v1/messages:sendText");
      expect(sends.map((s) => (s.body as { text: string }).text)).toEqual(["Thinking"]);
      const edits = await w.requests("/v1/messages:edit");
      expect(edits.map((e) => (e.body as { text?: string; newText?: string; editedText?: string }))).toHaveLength(1);
      expect(JSON.stringify(edits[0]?.body)).toContain("Thinking hard about it.");
      expect(sent?.id).toBeTruthy();
    });

    it("fetchMessages pages history backward, each page chronological, with a cursor", async () => {
      const w = await make();
      const threadId = await w.adapter.openDM(`+1555${Math.floor(Math.random() * 1e7).toString().padStart(7, "0")}`);
      for (const text of ["m1", "m2", "m3", "m4", "m5"]) await w.adapter.postMessage(threadId, text);
      const first = await w.adapter.fetchMessages(threadId, { limit: 2 });
      expect(first.messages.map((m) => m.text)).toEqual(["m4", "m5"]);
      expect(first.nextCursor).toBeTruthy();
      const second = await w.adapter.fetchMessages(threadId, { limit: 2, cursor: first.nextCursor });
      expect(second.messages.map((m) => m.text)).toEqual(["m2", "m3"]);
      const third = await w.adapter.fetchMessages(threadId, { limit: 2, cursor: second.nextCursor });
      expect(third.messages.map((m) => m.text)).toEqual(["m1"]);
      expect(third.nextCursor).toBeUndefined();
      const [list] = await w.requests("/v1/messages:listByChat");
      expect(list?.query).toMatchObject({ pageSize: "2" });
    });

    it("fetchThread reads the chat", async () => {
      const w = await make();
      const info = await w.adapter.fetchThread(DM);
      expect(info).toMatchObject({ id: DM, channelId: DM, isDM: true, metadata: { chatGuid: DM_GUID } });
      expect((info.metadata.participants as string[]).includes("+15551234567")).toBe(true);
    });

    it("unsupported operations throw NotImplementedError naming them", async () => {
      const w = await make();
      const cases: [string, () => Promise<unknown>, RegExp][] = [
        [
          "cards",
          () => w.adapter.postMessage(DM, { card: { type: "card", children: [] }, fallbackText: "x" } as never),
          /postMessage with a card is not supported/,
        ],
        [
          "edit with files",
          () => w.adapter.editMessage(DM, "m", { raw: "x", files: [{ filename: "a", data: bytes("a") }] }),
          /editMessage with files is not supported/,
        ],
        [
          "unknown group",
          () => w.adapter.postMessage("imessage:any;+;chat-never-seen", "hi"),
          /group any;\+;chat-never-seen has not been seen yet/,
        ],
      ];
      for (const [name, run, message] of cases) {
        const error = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, name).toBeInstanceOf(NotImplementedError);
        expect((error as Error).message, name).toMatch(message);
      }
    });
  });
}

describe("simulator is reachable", () => {
  it("answers health", async () => {
    expect(await sim.mark()).toBeGreaterThanOrEqual(0);
  });
});
