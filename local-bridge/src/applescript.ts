/**
 * @module local-bridge/applescript
 * Builds the AppleScript that sends a message with Messages, with every user string escaped.
 */

/** Where a send goes: a person by address, or a group chat by its GUID. */
export type SendTarget = { kind: "dm"; address: string } | { kind: "group"; chatGuid: string };

/** What one send carries: text, then files (absolute paths on this Mac). */
export interface SendContent {
  text?: string;
  files?: readonly string[];
}

/**
 * Quotes a string as an AppleScript string literal. Backslash and double quote are escaped;
 * line breaks become the `\n` / `\r` escapes and tabs `\t` (AppleScript turns them back into the
 * characters), so every script stays one statement per line. Other control characters are dropped.
 *
 * @example
 * ```ts
 * appleScriptString('say "hi"\nbye'); // "\"say \\\"hi\\\"\\nbye\""
 * ```
 */
export function appleScriptString(value: string): string {
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\r\n|\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "");
  return `"${escaped}"`;
}

/**
 * The script that sends text and files to one conversation through Messages' iMessage account.
 *
 * @example
 * ```ts
 * buildSendScript({ kind: "dm", address: "+15551234567" }, { text: "hello" });
 * // tell application "Messages"
 * // 	set targetAccount to 1st account whose service type = iMessage
 * // 	set targetRecipient to participant "+15551234567" of targetAccount
 * // 	send "hello" to targetRecipient
 * // end tell
 * ```
 */
export function buildSendScript(target: SendTarget, content: SendContent): string {
  const lines = ['tell application "Messages"'];
  if (target.kind === "dm") {
    lines.push("\tset targetAccount to 1st account whose service type = iMessage");
    lines.push(`\tset targetRecipient to participant ${appleScriptString(target.address)} of targetAccount`);
  } else {
    lines.push(`\tset targetRecipient to chat id ${appleScriptString(target.chatGuid)}`);
  }
  if (content.text) lines.push(`\tsend ${appleScriptString(content.text)} to targetRecipient`);
  for (const file of content.files ?? []) {
    lines.push(`\tsend POSIX file ${appleScriptString(file)} to targetRecipient`);
  }
  lines.push("end tell");
  return `${lines.join("\n")}\n`;
}
