/**
 * @module adapter/format
 * iMessage shows plain text: markdown becomes readable plain text with its content kept.
 */
import {
  BaseFormatConverter,
  convertEmojiPlaceholders,
  parseMarkdown,
  type AdapterPostableMessage,
  type FormattedContent,
} from "chat";

/** A node of the markdown AST (mdast) the Chat SDK parses into. */
export type MarkdownNode = Parameters<BaseFormatConverter["fromAst"]>[0]["children"][number];
type Node = MarkdownNode;

/** Letters, digits, emoji and everyday punctuation only: nothing CommonMark or GFM would turn into markup. */
const PROSE = /^[\p{L}\p{N}\p{M}\p{Extended_Pictographic}\u200d\ufe0f ,.'"?!:;()’‘“”\n]*$/u;

/**
 * True when `text` parses to plain paragraphs: prose characters only, no line that starts or ends
 * with a space (indented code, hard breaks), no ordered-list marker, no bare domain (GFM autolinks).
 */
function isPlainProse(text: string): boolean {
  if (text.length === 0 || text.length > 2000 || !PROSE.test(text)) return false;
  if (/(^|\n) | (\n|$)|(^|\n)\d+[.)]|^\n|\n$/.test(text)) return false;
  return !/\w\.\w/.test(text);
}

/** Renders Chat SDK content as iMessage plain text: emphasis markers dropped, links as "text (url)", lists kept. */
export class iMessageFormatConverter extends BaseFormatConverter {
  fromAst(ast: FormattedContent): string {
    return this.fromAstWithNodeConverter(ast, (node) => this.nodeToText(node as Node)).trim();
  }

  /**
   * The markdown tree of inbound text. Most iMessages are plain sentences: text without any character
   * markdown gives meaning to becomes its paragraphs directly (what the parser would produce, minus
   * source positions); anything else goes through the Chat SDK's parser.
   */
  toAst(text: string): FormattedContent {
    if (!isPlainProse(text)) return parseMarkdown(text);
    const paragraphs = text.split(/\n{2,}/).filter((p) => p.length > 0);
    return {
      type: "root",
      children: paragraphs.map((value) => ({ type: "paragraph", children: [{ type: "text", value }] })),
    } as FormattedContent;
  }

  /** Plain text of one node; subclasses may mark spans (see `adapter/outbound/styled-text`). */
  protected nodeToText(node: Node): string {
    const children = "children" in node ? (node.children as Node[]) : [];
    const inner = () => children.map((child) => this.nodeToText(child)).join("");
    switch (node.type) {
      case "text":
      case "inlineCode":
        return node.value;
      case "code":
        return node.value;
      case "strong":
      case "emphasis":
      case "delete":
      case "paragraph":
        return inner();
      case "heading":
        return inner();
      case "break":
        return "\n";
      case "link": {
        const text = inner();
        // An autolinked address (`friend@example.com`, `www.example.com`) stays as written.
        const bare = node.url.replace(/^(mailto:|tel:|https?:\/\/)/i, "");
        return text && text !== node.url && text !== bare ? `${text} (${node.url})` : text || node.url;
      }
      case "image":
        return node.alt ? `${node.alt} (${node.url})` : node.url;
      case "blockquote":
        return children
          .map((child) => this.nodeToText(child))
          .join("\n")
          .split("\n")
          .map((line) => `> ${line}`)
          .join("\n");
      case "list":
        return this.renderList(node, 0, (child) => this.nodeToText(child as Node), "•");
      case "thematicBreak":
        return "———";
      default:
        return this.defaultNodeToText(node, (child) => this.nodeToText(child as Node));
    }
  }

  /**
   * The plain text to send for any postable: strings and `{raw}` verbatim, `{markdown}`/`{ast}` stripped,
   * cards as their fallback text; `{{emoji:name}}` placeholders become emoji.
   */
  renderOutbound(message: AdapterPostableMessage): string {
    let text: string;
    if (typeof message === "string") text = message;
    else if ("raw" in message && typeof message.raw === "string") text = message.raw;
    else if ("markdown" in message && typeof message.markdown === "string") text = this.fromAst(this.toAst(message.markdown));
    else if ("ast" in message && message.ast) text = this.fromAst(message.ast);
    else text = this.renderPostable(message);
    return convertEmojiPlaceholders(text, "whatsapp");
  }
}
