import { chmodSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appleScriptString, buildSendScript } from "../src/applescript.ts";
import { ChatDb } from "../src/chat-db.ts";
import { LocalModeError } from "../src/errors.ts";
import { createOsascriptRunner } from "../src/osascript.ts";
import { AppleScriptSender } from "../src/sender.ts";
import { ALICE, buildSampleChatDb } from "./fixtures/sample.ts";
import { tempDir } from "./helpers.ts";

function recorder() {
  const scripts: string[] = [];
  return { scripts, run: async (script: string) => (scripts.push(script), { stdout: "", stderr: "" }) };
}

function sender() {
  const dir = tempDir();
  buildSampleChatDb(join(dir, "chat.db"));
  const { scripts, run } = recorder();
  const outboxDir = join(dir, "outbox");
  return { scripts, outboxDir, sender: new AppleScriptSender({ db: new ChatDb(join(dir, "chat.db"), dir), run, outboxDir }) };
}

describe("AppleScript escaping", () => {
  it("escapes backslashes and double quotes", () => {
    expect(appleScriptString('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
  });

  it("writes line breaks and tabs as \\n, \\r and \\t escapes, keeping CRLF as CRLF, so each statement stays on one line", () => {
    expect(appleScriptString("one\ntwo\r\nthree\rfour\tfive")).toBe('"one\\ntwo\\r\\nthree\\rfour\\tfive"');
  });

  it("joins other control characters in as character ids, drops nothing and keeps Unicode and spaces", () => {
    expect(appleScriptString("a\u0000b\u0007c ✨ 👋🏽")).toBe('("a" & (character id 0) & "b" & (character id 7) & "c ✨ 👋🏽")');
    expect(appleScriptString("\u001b")).toBe('("" & (character id 27))');
    expect(appleScriptString("  padded  ")).toBe('"  padded  "');
    expect(appleScriptString("e\u0301 vs é")).toBe('"e\u0301 vs é"');
  });

  it("cannot be broken out of: an injection attempt stays inside the literal", () => {
    const literal = appleScriptString('x" & (do shell script "rm -rf ~") & "');
    expect(literal).toBe('"x\\" & (do shell script \\"rm -rf ~\\") & \\""');
    expect(literal.slice(1, -1).replace(/\\\\|\\"/g, "")).not.toContain('"');
  });
});

describe("send scripts", () => {
  it("starts a new DM as a participant of the account of the address's service, never `service type = any`", () => {
    expect(buildSendScript({ kind: "participant", address: "+15551234567", service: "iMessage" }, { text: 'He said "hi"\nOK? C:\\temp' })).toBe(
      [
        'tell application "Messages"',
        "\tset targetAccount to 1st account whose service type = iMessage",
        '\tset targetRecipient to participant "+15551234567" of targetAccount',
        '\tsend "He said \\"hi\\"\\nOK? C:\\\\temp" to targetRecipient',
        "end tell",
        "",
      ].join("\n"),
    );
  });

  it("sends to an existing chat by chat id", () => {
    expect(buildSendScript({ kind: "chat", chatGuid: "iMessage;+;chat914325730198374" }, { text: "hello all" })).toBe(
      [
        'tell application "Messages"',
        '\tset targetRecipient to chat id "iMessage;+;chat914325730198374"',
        '\tsend "hello all" to targetRecipient',
        "end tell",
        "",
      ].join("\n"),
    );
  });

  it("sends files as POSIX files after the text", () => {
    expect(
      buildSendScript({ kind: "participant", address: "friend@example.com", service: "iMessage" }, { text: "see attached", files: ['/tmp/out/a "b".png'] }),
    ).toBe(
      [
        'tell application "Messages"',
        "\tset targetAccount to 1st account whose service type = iMessage",
        '\tset targetRecipient to participant "friend@example.com" of targetAccount',
        '\tsend "see attached" to targetRecipient',
        '\tsend POSIX file "/tmp/out/a \\"b\\".png" to targetRecipient',
        "end tell",
        "",
      ].join("\n"),
    );
  });
});

describe("AppleScriptSender", () => {
  it("sends to an existing DM by its stored chat GUID, whichever form the caller used", async () => {
    const { sender: s, scripts } = sender();
    const receipt = await s.send(`any;-;${ALICE}`, { text: "hi" });
    expect(receipt.chatGuid).toBe(`iMessage;-;${ALICE}`);
    expect(scripts[0]).toBe(`tell application "Messages"\n\tset targetRecipient to chat id "iMessage;-;${ALICE}"\n\tsend "hi" to targetRecipient\nend tell\n`);
  });

  it("writes outgoing files to the outbox and sends their paths", async () => {
    const { sender: s, scripts, outboxDir } = sender();
    await s.send("iMessage;+;chat914325730198374", {
      files: [{ filename: "../../report.pdf", mimeType: "application/pdf", data: new TextEncoder().encode("%PDF-1.7") }],
    });
    const [folder] = readdirSync(outboxDir);
    const path = join(outboxDir, folder as string, "report.pdf");
    expect(readFileSync(path, "utf8")).toBe("%PDF-1.7");
    expect(scripts[0]).toContain(`\tsend POSIX file "${path}" to targetRecipient`);
    expect(scripts[0]).not.toContain("\tsend \"");
  });

  it("refuses groups it never saw: AppleScript cannot create group chats", async () => {
    const { sender: s, scripts } = sender();
    await expect(s.send("any;+;chat000", { text: "cold open" })).rejects.toThrow(
      /no conversation "any;\+;chat000".*cannot create group chats/,
    );
    expect(scripts).toEqual([]);
  });
});

describe("osascript runner", () => {
  function fakeOsascript(body: string): string {
    const path = join(tempDir(), "osascript");
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it("passes the script on stdin to `osascript -`", async () => {
    const command = fakeOsascript('echo "args:$*"; cat');
    const run = createOsascriptRunner({ command, platform: "darwin" });
    const output = await run('tell application "Messages" to get name');
    expect(output.stdout).toBe('args:-\ntell application "Messages" to get name');
  });

  it("surfaces the script's stderr when osascript fails", async () => {
    const command = fakeOsascript(
      'cat >/dev/null; echo "execution error: Messages got an error: Can’t get participant \\"+1\\". (-1728)" >&2; exit 1',
    );
    const run = createOsascriptRunner({ command, platform: "darwin" });
    const error = (await run("send").catch((caught: unknown) => caught)) as LocalModeError;
    expect(error).toBeInstanceOf(LocalModeError);
    expect(error.code).toBe("OSASCRIPT_FAILED");
    expect(error.message).toContain('execution error: Messages got an error: Can’t get participant "+1". (-1728)');
    expect(error.message).toContain("exit 1");
  });

  it("says local mode needs macOS instead of running elsewhere", async () => {
    const run = createOsascriptRunner({ platform: "linux" });
    await expect(run("x")).rejects.toThrow(
      /local mode needs macOS to send messages with osascript \(this is linux\).*cloud mode.*self-hosted server/s,
    );
  });
});
