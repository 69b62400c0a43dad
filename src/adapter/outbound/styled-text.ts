/**
 * @module adapter/outbound/styled-text
 * Markdown emphasis as native iMessage text formatting (`formatting: "styled"`): the plain text the
 * adapter always sends, plus bold / italic / underline / strikethrough ranges in UTF-16 code units.
 */
import type { TextFormatInput } from "@photon-ai/advanced-imessage/http";
import { convertEmojiPlaceholders, parseMarkdown, type AdapterPostableMessage, type FormattedContent } from "chat";
import { iMessageFormatConverter, type MarkdownNode } from "../format.ts";

/** Text to send and its formatting ranges (`start`/`length` in UTF-16 code units, as the API counts). */
export interface StyledText {
  text: string;
  formatting: TextFormatInput[];
}

/** The styles markdown can express (underline as inline `<u>…</u>`: CommonMark has no underline syntax). */
export type TextStyle = "bold" | "italic" | "underline" | "strikethrough";

// Unicode noncharacters never occur in interchanged text: they mark where a style opens and closes
// while the plain-text renderer lays out lists, quotes and links, and are removed afterwards.
const OPEN: Record<TextStyle, string> = { bold: "\uFDD0", italic: "\uFDD1", underline: "\uFDD2", strikethrough: "\uFDD3" };
const CLOSE: Record<TextStyle, string> = { bold: "\uFDD4", italic: "\uFDD5", underline: "\uFDD6", strikethrough: "\uFDD7" };
const MARKERS = /[\uFDD0-\uFDD7]/g;
const HAS_MARKER = /[\uFDD0-\uFDD7]/;
const STYLE_OF_NODE: Partial<Record<string, TextStyle>> = { strong: "bold", emphasis: "italic", delete: "strikethrough" };
const STYLES = Object.keys(OPEN) as TextStyle[];

/** The plain-text converter, with styled spans wrapped in markers. */
class MarkingConverter extends iMessageFormatConverter {
  protected override nodeToText(node: MarkdownNode): string {
    const style = STYLE_OF_NODE[node.type];
    if (style) return OPEN[style] + super.nodeToText(node) + CLOSE[style];
    if (node.type === "html") {
      if (/^<u>$/i.test(node.value.trim())) return OPEN.underline;
      if (/^<\/u>$/i.test(node.value.trim())) return CLOSE.underline;
    }
    if ("value" in node && typeof node.value === "string" && HAS_MARKER.test(node.value)) {
      return super.nodeToText({ ...node, value: node.value.replace(MARKERS, "") } as MarkdownNode);
    }
    return super.nodeToText(node);
  }
}

const marking = new MarkingConverter();
const plain = new iMessageFormatConverter();

/**
 * Removes the markers from `marked` and returns the ranges they delimited, trimmed like the plain text.
 * Offsets are JavaScript string indices, i.e. UTF-16 code units: an emoji outside the BMP counts 2.
 */
function extractRanges(marked: string): StyledText {
  const open: Record<TextStyle, number[]> = { bold: [], italic: [], underline: [], strikethrough: [] };
  const ranges: TextFormatInput[] = [];
  let text = "";
  for (const char of marked) {
    const opens = STYLES.find((style) => OPEN[style] === char);
    const closes = STYLES.find((style) => CLOSE[style] === char);
    if (opens) open[opens].push(text.length);
    else if (closes) {
      const start = open[closes].pop();
      if (start !== undefined && text.length > start) ranges.push({ type: closes, start, length: text.length - start });
    } else text += char;
  }
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const formatting = ranges
    .map((range) => {
      const start = Math.max(0, range.start - lead);
      const end = Math.min(trimmed.length, range.start + range.length - lead);
      return { ...range, start, length: end - start };
    })
    .filter((range) => range.length > 0)
    .sort((a, b) => a.start - b.start || STYLES.indexOf(a.type as TextStyle) - STYLES.indexOf(b.type as TextStyle));
  return { text: trimmed, formatting };
}

/**
 * Renders markdown content as iMessage text with formatting ranges. Layout (lists, quotes, links as
 * "text (url)") is exactly the plain renderer's; only the emphasis becomes ranges instead of vanishing.
 *
 * @example
 * ```ts
 * styledText(parseMarkdown("**Hi** 🎉 _there_"));
 * // { text: "Hi 🎉 there", formatting: [{ type: "bold", start: 0, length: 2 }, { type: "italic", start: 6, length: 5 }] }
 * ```
 */
export function styledText(ast: FormattedContent): StyledText {
  return extractRanges(convertEmojiPlaceholders(marking.fromAst(ast), "whatsapp"));
}

/**
 * The text and ranges to send for any postable in styled mode: `{markdown}` and `{ast}` are styled;
 * strings, `{raw}` and cards stay plain text (no `*` or `_` of theirs is read as markup), like the
 * reference adapter.
 *
 * @example
 * ```ts
 * renderStyled({ markdown: "~~old~~ **new**" }); // { text: "old new", formatting: [strikethrough 0+3, bold 4+3] }
 * renderStyled("*not styled*"); // { text: "*not styled*", formatting: [] }
 * ```
 */
export function renderStyled(message: AdapterPostableMessage): StyledText {
  if (typeof message === "object" && message !== null) {
    if ("markdown" in message && typeof message.markdown === "string") return styledText(parseMarkdown(message.markdown));
    if ("ast" in message && message.ast) return styledText(message.ast);
  }
  return { text: plain.renderOutbound(message), formatting: [] };
}
