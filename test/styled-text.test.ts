import { parseMarkdown } from "chat";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/core/config.ts";
import { iMessageFormatConverter } from "../src/adapter/format.ts";
import { renderStyled, styledText, type StyledText } from "../src/adapter/outbound/styled-text.ts";
import { cloud, selfHosted, type Wired } from "./outbound-helpers.ts";

const styled = (markdown: string) => styledText(parseMarkdown(markdown));

/** The substring each range covers, by type: what a reader of the bubble sees styled. */
function spans({ text, formatting }: StyledText): [string, string][] {
  return formatting.map((f) => [f.type, text.slice(f.start, f.start + f.length)]);
}

describe("markdown emphasis → formatting ranges", () => {
  it("bold, italic and strikethrough become ranges over the plain text", () => {
    expect(styled("**Hi** _there_ ~~old~~")).toEqual({
      text: "Hi there old",
      formatting: [
        { type: "bold", start: 0, length: 2 },
        { type: "italic", start: 3, length: 5 },
        { type: "strikethrough", start: 9, length: 3 },
      ],
    });
  });

  it("offsets are UTF-16 code units: emoji and other characters outside the BMP count two", () => {
    const result = styled("🎉 **party** time");
    expect(result.text).toBe("🎉 party time");
    expect(result.formatting).toEqual([{ type: "bold", start: 3, length: 5 }]);

    const family = styled("👩‍👩‍👧 *family* 𝒳 **𝒳𝒴** ~~gone 🙂~~ end");
    expect(family.text).toBe("👩‍👩‍👧 family 𝒳 𝒳𝒴 gone 🙂 end");
    expect(family.formatting).toEqual([
      { type: "italic", start: 9, length: 6 },
      { type: "bold", start: 19, length: 4 },
      { type: "strikethrough", start: 24, length: 7 },
    ]);
    expect(spans(family)).toEqual([
      ["italic", "family"],
      ["bold", "𝒳𝒴"],
      ["strikethrough", "gone 🙂"],
    ]);
  });

  it("emoji placeholders are converted before offsets are counted", () => {
    const result = renderStyled({ markdown: "{{emoji:heart}} **love**" });
    expect(spans(result)).toEqual([["bold", "love"]]);
    expect(result.text.startsWith("❤")).toBe(true);
  });

  it("nested emphasis gives overlapping ranges; <u>…</u> is underline (CommonMark has no underline syntax)", () => {
    expect(spans(styled("***both*** and **bold _inner_ end**"))).toEqual([
      ["bold", "both"],
      ["italic", "both"],
      ["bold", "bold inner end"],
      ["italic", "inner"],
    ]);
    expect(spans(styled("an <u>underlined</u> word"))).toEqual([["underline", "underlined"]]);
  });

  it("layout is the plain renderer's (lists, links, quotes, code), ranges inside it", () => {
    const markdown = "# **Title**\n\n- one **b**\n- two\n\n> _quoted_\n\nsee [the **docs**](https://example.com) and `**code**`";
    const result = styled(markdown);
    expect(result.text).toBe(new iMessageFormatConverter().fromAst(parseMarkdown(markdown)));
    expect(spans(result)).toEqual([
      ["bold", "Title"],
      ["bold", "b"],
      ["italic", "quoted"],
      ["bold", "docs"],
    ]);
  });

  it("strings, {raw} and plain markdown carry no ranges; stray markers in the text are dropped", () => {
    expect(renderStyled("*not styled* **either**")).toEqual({ text: "*not styled* **either**", formatting: [] });
    expect(renderStyled({ raw: "_raw_" })).toEqual({ text: "_raw_", formatting: [] });
    expect(renderStyled({ markdown: "just text" })).toEqual({ text: "just text", formatting: [] });
    expect(renderStyled({ markdown: "a\uFDD0b **c**" })).toEqual({ text: "ab c", formatting: [{ type: "bold", start: 3, length: 1 }] });
  });
});

describe("the formatting option", () => {
  const remote = { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s" };
  it("plain by default; styled from the option or IMESSAGE_FORMATTING; anything else is refused", () => {
    expect(resolveConfig({ env: remote }).formatting).toBe("plain");
    expect(resolveConfig({ env: { ...remote, IMESSAGE_FORMATTING: "Styled" } }).formatting).toBe("styled");
    expect(resolveConfig({ env: { ...remote, IMESSAGE_FORMATTING: "styled" }, formatting: "plain" }).formatting).toBe("plain");
    expect(() => resolveConfig({ env: { ...remote, IMESSAGE_FORMATTING: "rich" } })).toThrow(/IMESSAGE_FORMATTING .* must be "plain" or "styled", got "rich"/);
  });
});

async function ownDm(w: Wired): Promise<{ threadId: string; chatGuid: string }> {
  const address = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  return { threadId: await w.adapter.openDM(address), chatGuid: `any;-;${address}` };
}

async function bodiesIn(w: Wired, path: string, chatGuid: string): Promise<Record<string, unknown>[]> {
  return (await w.requests(path)).map((r) => r.body as Record<string, unknown>).filter((b) => b.chatGuid === chatGuid);
}

for (const [mode, make] of [
  ["self-host", (formatting: "plain" | "styled") => selfHosted({ formatting })],
  ["cloud", (formatting: "plain" | "styled") => cloud({ formatting })],
] as const) {
  describe(`styled text on the wire (${mode})`, () => {
    it('formatting: "styled" sends markdown with ranges (text, multipart text part, stream); strings stay plain', async () => {
      const w = await make("styled");
      const { threadId, chatGuid } = await ownDm(w);
      await w.adapter.postMessage(threadId, { markdown: "**Order** 📦 _shipped_" });
      await w.adapter.postMessage(threadId, "**literal**");
      await w.adapter.postMessage(threadId, { markdown: "see ~~this~~", files: [{ filename: "a.txt", data: new TextEncoder().encode("a") }] });
      await w.adapter.stream(threadId, (async function* () {
        yield "**str";
        yield "eamed**";
      })());
      const texts = await bodiesIn(w, "/v1/messages:sendText", chatGuid);
      expect(texts[0]).toMatchObject({
        text: "Order 📦 shipped",
        formatting: [
          { type: "bold", length: 5 },
          { type: "italic", start: 9, length: 7 },
        ],
      });
      expect(texts[1]).toMatchObject({ text: "**literal**" });
      expect(texts[1]).not.toHaveProperty("formatting");
      expect(texts[2]).toMatchObject({ text: "streamed", formatting: [{ type: "bold", length: 8 }] });
      const [multipart] = await bodiesIn(w, "/v1/messages:sendMultipart", chatGuid);
      expect((multipart?.parts as unknown[])[0]).toEqual({ text: "see this", formatting: [{ type: "strikethrough", start: 4, length: 4 }] });
    });

    it("plain (the default) sends no formatting", async () => {
      const w = await make("plain");
      const { threadId, chatGuid } = await ownDm(w);
      await w.adapter.postMessage(threadId, { markdown: "**Order** _shipped_" });
      const [body] = await bodiesIn(w, "/v1/messages:sendText", chatGuid);
      expect(body).toMatchObject({ text: "Order shipped" });
      expect(body).not.toHaveProperty("formatting");
    });
  });
}
