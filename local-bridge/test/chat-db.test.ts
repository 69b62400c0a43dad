import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ChatDb, openChatDb } from "../src/chat-db.ts";
import { LocalModeError } from "../src/errors.ts";
import { ALICE, BOB, buildSampleChatDb } from "./fixtures/sample.ts";
import { tempDir } from "./helpers.ts";

function sampleDb() {
  const dir = tempDir();
  const path = join(dir, "chat.db");
  const sample = buildSampleChatDb(path);
  return { db: new ChatDb(path, "/Users/tester"), sample };
}

describe("ChatDb", () => {
  it("reads a DM with sender, chat GUID and date", () => {
    const { db, sample } = sampleDb();
    const [first] = db.readAfter(0, 1);
    expect(first).toMatchObject({
      rowid: sample.hello.rowid,
      guid: sample.hello.guid,
      chatGuid: `iMessage;-;${ALICE}`,
      isGroup: false,
      sender: ALICE,
      isFromMe: false,
      text: "hey bot, what's up?",
      attachments: [],
      tapback: undefined,
    });
    expect(Math.abs((first?.date.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("tells groups (style 43) from DMs (style 45)", () => {
    const { db, sample } = sampleDb();
    const rows = db.readAfter(0, 100);
    const group = rows.find((row) => row.guid === sample.inGroup.guid);
    expect(group).toMatchObject({ chatGuid: "iMessage;+;chat914325730198374", isGroup: true, sender: BOB, chatName: "Weekend plans" });
  });

  it("takes text from attributedBody when text is NULL, including a real-format blob", () => {
    const { db, sample } = sampleDb();
    const rows = db.readAfter(0, 100);
    expect(rows.find((row) => row.guid === sample.attributed.guid)?.text).toBe("only in attributedBody ✨");
    expect(rows.find((row) => row.guid === sample.real.guid)?.text).toBe("TEST");
  });

  it("reads attachments with ~ expanded, MIME type and transfer name", () => {
    const { db, sample } = sampleDb();
    const photo = db.readAfter(0, 100).find((row) => row.guid === sample.photo.guid);
    expect(photo?.text).toBe("");
    expect(photo?.attachments).toEqual([
      {
        guid: expect.stringMatching(/^ATT-/),
        path: "/Users/tester/Library/Messages/Attachments/ab/11/ATT-1/IMG_0042.HEIC",
        mimeType: "image/heic",
        name: "IMG_0042.HEIC",
        size: 482_113,
      },
    ]);
    expect(db.attachmentPath(photo?.attachments[0]?.guid ?? "")).toBe(photo?.attachments[0]?.path);
  });

  it("recognises tapbacks added and removed, with p:<part>/ and bp: targets", () => {
    const { db, sample } = sampleDb();
    const rows = db.readAfter(0, 100);
    expect(rows.find((row) => row.guid === sample.love.guid)?.tapback).toEqual({
      kind: "love", rawEmoji: "❤️", added: true, targetGuid: sample.hello.guid, targetPart: 0,
    });
    expect(rows.find((row) => row.guid === sample.unlove.guid)?.tapback).toEqual({
      kind: "love", rawEmoji: "❤️", added: false, targetGuid: sample.hello.guid, targetPart: 0,
    });
    expect(rows.find((row) => row.guid === sample.laughBalloon.guid)?.tapback).toEqual({
      kind: "laugh", rawEmoji: "😂", added: true, targetGuid: sample.inGroup.guid, targetPart: undefined,
    });
  });

  it("reads own messages (flagged) and steps over ROWID gaps", () => {
    const { db, sample } = sampleDb();
    const rows = db.readAfter(0, 100);
    expect(rows.find((row) => row.guid === sample.own.guid)?.isFromMe).toBe(true);
    expect(rows.map((row) => row.rowid)).not.toContain(sample.removedLater.rowid);
    expect(db.readAfter(sample.removedLater.rowid - 1, 1)[0]?.rowid).toBe(sample.love.rowid);
  });

  it("converts Apple-epoch nanoseconds and the older seconds format", () => {
    const { db, sample } = sampleDb();
    const old = db.readAfter(0, 100).find((row) => row.guid === sample.oldFormat.guid);
    expect(old?.date.toISOString()).toBe("2016-05-01T12:00:00.000Z");
  });

  it("finds conversations by exact GUID or by the any; form, never an unknown one", () => {
    const { db } = sampleDb();
    expect(db.findChat(`any;-;${ALICE}`)).toEqual({ guid: `iMessage;-;${ALICE}`, isGroup: false, identifier: ALICE });
    expect(db.findChat("iMessage;+;chat914325730198374")).toMatchObject({ isGroup: true, identifier: "chat914325730198374" });
    expect(db.findChat("any;-;+15550000000")).toBeUndefined();
  });

  it("explains Full Disk Access when the database cannot be opened", () => {
    const path = join(tempDir(), "missing", "chat.db");
    const error = (() => {
      try {
        openChatDb({ path });
      } catch (caught) {
        return caught as LocalModeError;
      }
    })();
    expect(error).toBeInstanceOf(LocalModeError);
    expect(error?.code).toBe("FULL_DISK_ACCESS");
    expect(error?.message).toContain(
      "Grant Full Disk Access to your terminal/Node in System Settings → Privacy & Security → Full Disk Access, then restart it",
    );
    expect(error?.message).toContain(path);
    expect(error?.message).toMatch(/directory does not exist|unable to open/);
  });

  it.skipIf(process.platform === "darwin")("says local mode needs macOS when opening the default path elsewhere", () => {
    expect(() => openChatDb()).toThrow(/local mode needs macOS.*cloud mode.*self-hosted/s);
  });
});
