import { describe, expect, it } from "vitest";
import { decodeAttributedBody, isTypedStream } from "../src/typedstream.ts";
import { encodeAttributedBody } from "./fixtures/typedstream-encoder.ts";
import { REAL_ATTRIBUTED_BODY_HEX } from "./fixtures/sample.ts";

describe("attributedBody typedstream", () => {
  it("reads the text of a blob in the byte layout macOS writes", () => {
    const blob = Buffer.from(REAL_ATTRIBUTED_BODY_HEX, "hex");
    expect(blob.subarray(0, 16).toString("hex")).toBe("040b73747265616d747970656481e803");
    expect(decodeAttributedBody(blob)).toBe("TEST");
  });

  it("encodes byte for byte what macOS writes (the fixture encoder is faithful)", () => {
    expect(encodeAttributedBody("TEST").toString("hex")).toBe(REAL_ATTRIBUTED_BODY_HEX);
  });

  it.each([
    ["short ASCII", "hey bot"],
    ["emoji and accents", "héllo 👋🏽 ✨"],
    ["127 bytes: the largest one-byte length", "x".repeat(127)],
    ["128 bytes: an int16 length (81 lo hi)", "y".repeat(128)],
    ["a long message", "long ".repeat(3000)],
    ["line breaks", "line 1\nline 2\r\nline 3"],
  ])("round-trips %s", (_name, text) => {
    expect(decodeAttributedBody(encodeAttributedBody(text))).toBe(text);
  });

  it("uses the 0x81 int16 length form above 127 bytes", () => {
    const blob = encodeAttributedBody("z".repeat(300));
    const at = blob.indexOf(Buffer.from([0x84, 0x01, 0x2b]));
    expect([...blob.subarray(at + 3, at + 6)]).toEqual([0x81, 300 & 0xff, 300 >> 8]);
  });

  it("reads NSMutableAttributedString / NSMutableString blobs", () => {
    const text = Buffer.from("hello");
    const blob = Buffer.concat([
      Buffer.from("040b73747265616d747970656481e803840140848484", "hex"),
      Buffer.from("\x19NSMutableAttributedString\x00\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92", "latin1"),
      Buffer.from("\x84\x84\x84\x0fNSMutableString\x01\x84\x84\x08NSString\x01\x95\x84\x01+", "latin1"),
      Buffer.from([text.length]),
      text,
      Buffer.from([0x86]),
    ]);
    expect(decodeAttributedBody(blob)).toBe("hello");
  });

  it("returns undefined for blobs it cannot read", () => {
    expect(decodeAttributedBody(null)).toBeUndefined();
    expect(decodeAttributedBody(Buffer.from("bplist00…"))).toBeUndefined();
    expect(isTypedStream(Buffer.from("040b", "hex"))).toBe(false);
    const truncated = encodeAttributedBody("a message cut short");
    expect(decodeAttributedBody(truncated.subarray(0, truncated.indexOf(Buffer.from("a message")) + 4))).toBeUndefined();
  });
});
