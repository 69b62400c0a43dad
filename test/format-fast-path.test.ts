/**
 * The plain-prose fast path of `toAst` gives exactly the tree the Chat SDK's markdown parser gives
 * (source positions aside), and leaves everything else to the parser.
 */
import { parseMarkdown } from "chat";
import { describe, expect, it } from "vitest";
import { iMessageFormatConverter } from "../src/adapter/format.ts";

function withoutPositions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutPositions);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).filter(([key]) => key !== "position").map(([key, value]) => [key, withoutPositions(value)]));
}

const converter = new iMessageFormatConverter();

describe("toAst", () => {
  for (const text of [
    "hey bot, what's up?",
    "thanks!",
    "a\nb",
    "one\n\ntwo",
    "café 😀 ok",
    "👍👍🏽",
    "I’m “fine”: really?",
    "1. first",
    "**bold** and _it_",
    "see example.com now",
    "https://example.com",
    "  indented",
    "trailing  \nbreak",
    "a & b",
    "#tag",
    "- item",
    "",
    "\n\nx",
    "Über 3 Äpfel; 100% sicher (ja)",
  ]) {
    it(`${JSON.stringify(text)} parses like the Chat SDK's parser`, () => {
      expect(withoutPositions(converter.toAst(text))).toEqual(withoutPositions(parseMarkdown(text)));
    });
  }
});

describe("markdown sent as plain text", () => {
  for (const [markdown, plain] of [
    ["write to friend@example.com today", "write to friend@example.com today"],
    ["see www.example.com or https://example.com/x", "see www.example.com or https://example.com/x"],
    ["[the docs](https://example.com/docs)", "the docs (https://example.com/docs)"],
    ["<https://example.com>", "https://example.com"],
  ] as const) {
    it(`${JSON.stringify(markdown)} → ${JSON.stringify(plain)}`, () => {
      expect(converter.fromAst(parseMarkdown(markdown))).toBe(plain);
    });
  }
});
