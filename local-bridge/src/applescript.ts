/**
 * @module local-bridge/applescript
 * Builds the AppleScript that sends a message with Messages, with every user string escaped.
 */

/**
 * Where a send goes: an existing conversation by its chat GUID (`chat id "…"`: groups, `any;-;` DMs
 * of macOS 26, SMS and RCS chats alike), or — only to start a new one-to-one chat — an address on the
 * account of a service that address supports. Never `service type = any`: Messages has no such account.
 */
export type SendTarget =
  | { kind: "chat"; chatGuid: string }
  | { kind: "participant"; address: string; service: "iMessage" | "SMS" };

/** What one send carries: text, then files (absolute paths on this Mac). */
export interface SendContent {
  text?: string;
  files?: readonly string[];
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Quotes a string as an AppleScript string expression that evaluates to exactly the same characters.
 * Backslash and double quote are escaped; line feeds, carriage returns and tabs become the `\n`, `\r`,
 * `\t` escapes (a CRLF stays a CRLF), so every script stays one statement per line; any other control
 * character is joined in as `(character id N)`. Nothing is dropped or normalised.
 *
 * @example
 * ```ts
 * appleScriptString('say "hi"\nbye'); // "\"say \\\"hi\\\"\\nbye\""
 * appleScriptString("a\u0007b"); // '("a" & (character id 7) & "b")'
 * ```
 */
export function appleScriptString(value: string): string {
  const pieces: string[] = [];
  let literal = "";
  for (const character of value) {
    const code = character.codePointAt(0) as number;
    const escape = ESCAPES[character];
    if (escape !== undefined) literal += escape;
    else if (code < 0x20 || code === 0x7f) {
      pieces.push(`"${literal}"`, `(character id ${code})`);
      literal = "";
    } else literal += character;
  }
  if (pieces.length === 0) return `"${literal}"`;
  if (literal) pieces.push(`"${literal}"`);
  return `(${pieces.join(" & ")})`;
}

/**
 * The script that sends text and files to one conversation through Messages.
 *
 * @example
 * ```ts
 * buildSendScript({ kind: "chat", chatGuid: "any;-;+15551234567" }, { text: "hello" });
 * // tell application "Messages"
 * // 	set targetRecipient to chat id "any;-;+15551234567"
 * // 	send "hello" to targetRecipient
 * // end tell
 * ```
 */
export function buildSendScript(target: SendTarget, content: SendContent): string {
  const lines = ['tell application "Messages"'];
  if (target.kind === "participant") {
    lines.push(`\tset targetAccount to 1st account whose service type = ${target.service}`);
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
