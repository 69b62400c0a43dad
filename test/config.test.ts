import { describe, expect, it } from "vitest";
import { MISSING_CREDENTIALS, resolveConfig } from "../src/core/config.ts";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { decodeThreadId, encodeThreadId } from "../src/core/thread-id.ts";
import { iMessageFormatConverter } from "../src/adapter/format.ts";

describe("options, environment fallbacks and mode detection", () => {
  it("defaults to local when nothing remote is configured", () => {
    expect(resolveConfig({ env: {} }).mode).toBe("local");
  });

  it("cloud from env bindings, with defaults", () => {
    const config = resolveConfig({ env: { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s", IMESSAGE_WEBHOOK_SECRET: "w" } });
    expect(config).toMatchObject({
      mode: "cloud",
      projectId: "p",
      projectSecret: "s",
      webhookSecret: "w",
      phone: "shared",
      cloudUrl: "https://spectrum.photon.codes",
      httpAddress: "imessage.spectrum.photon.codes:443",
      userName: "bot",
    });
  });

  it("options win over env", () => {
    const config = resolveConfig({
      env: { IMESSAGE_PROJECT_ID: "env-p", IMESSAGE_PROJECT_SECRET: "env-s", IMESSAGE_PHONE: "+1999" },
      projectId: "opt-p",
      phone: "+1555",
    });
    expect(config).toMatchObject({ mode: "cloud", projectId: "opt-p", projectSecret: "env-s", phone: "+1555" });
  });

  it("self-host from IMESSAGE_SERVER_URL + IMESSAGE_API_KEY, phone routed", () => {
    const config = resolveConfig({ env: { IMESSAGE_SERVER_URL: "im.example.com:443", IMESSAGE_API_KEY: "k", IMESSAGE_PHONE: "+15550001111" } });
    expect(config).toMatchObject({ mode: "self-host", clients: [{ address: "im.example.com:443", token: "k", phone: "+15550001111" }] });
  });

  it("explicit clients[]", () => {
    const config = resolveConfig({ env: {}, clients: [{ address: "a.example:1", token: "t", phone: "" }] });
    expect(config).toMatchObject({ mode: "self-host", clients: [{ address: "a.example:1", token: "t", phone: "shared" }] });
  });

  it("IMESSAGE_LOCAL=false without credentials names what to provide", () => {
    expect(() => resolveConfig({ env: { IMESSAGE_LOCAL: "false" } })).toThrow(MISSING_CREDENTIALS);
    expect(() => resolveConfig({ local: false, env: {} })).toThrow(MISSING_CREDENTIALS);
    expect(() => resolveConfig({ local: false, env: { IMESSAGE_PROJECT_ID: "p" } })).toThrow(/IMESSAGE_PROJECT_SECRET is missing/);
    expect(() => resolveConfig({ env: { IMESSAGE_SERVER_URL: "h:1" } })).toThrow(/IMESSAGE_API_KEY is missing/);
    expect(() => resolveConfig({ env: { IMESSAGE_API_KEY: "k" } })).toThrow(/IMESSAGE_SERVER_URL is missing/);
  });

  it("an https:// server URL is mapped to host:port as Photon's adapter does; other shapes say what to write", () => {
    const address = (url: string) => {
      const config = resolveConfig({ env: { IMESSAGE_SERVER_URL: url, IMESSAGE_API_KEY: "k" } });
      return config.mode === "self-host" ? config.clients[0]?.address : undefined;
    };
    expect(address("https://im.example.com")).toBe("im.example.com:443");
    expect(address("https://im.example.com:8443/")).toBe("im.example.com:8443");
    expect(address("im.example.com:443")).toBe("im.example.com:443");
    expect(() => address("ftp://im.example.com")).toThrow(/must be https:\/\/host\[:port\] or host:port/);
    expect(() => address("https://im.example.com/api")).toThrow(/drop the credentials, path or query/);
    expect(() => resolveConfig({ env: { IMESSAGE_SERVER_URL: "im example com", IMESSAGE_API_KEY: "k" } })).toThrow(/must look like host:port/);
  });

  it("IMESSAGE_LOCAL must be a boolean", () => {
    expect(() => resolveConfig({ env: { IMESSAGE_LOCAL: "maybe" } })).toThrow(/IMESSAGE_LOCAL must be "true" or "false"/);
  });

  it("local mode cannot run on Workers: the factory says where it runs and what to set instead", () => {
    expect(() => createiMessageAdapter({ env: {} })).toThrow(/local-bridge.*IMESSAGE_PROJECT_ID/);
  });

  it("process.env is the fallback when no env binding is passed", () => {
    const processEnv = (globalThis as unknown as { process: { env: Record<string, string> } }).process.env;
    expect(resolveConfig({}).mode).toBe(processEnv.IMESSAGE_PROJECT_ID ? "cloud" : "local");
  });
});

describe("thread ids", () => {
  const cases = [
    { chatGuid: "any;-;+15551234567" },
    { chatGuid: "any;-;friend@example.com" },
    { chatGuid: "any;+;chat914325730198374", phone: "+15550001111" },
    // Canonical GUIDs round-trip; other spellings (iMessage;-;, SMS;-;) decode to these (test/addresses.test.ts).
    { chatGuid: "any;-;odd~name@example.com" },
    { chatGuid: "any;-;+15551234567", phone: "+15550002222" },
  ];
  for (const data of cases) {
    it(`round-trips ${JSON.stringify(data)}`, () => {
      expect(decodeThreadId(encodeThreadId(data))).toEqual(data);
    });
  }

  it("matches the form existing users store", () => {
    expect(encodeThreadId({ chatGuid: "any;+;chat1", phone: "+15550001111" })).toBe("imessage:any;+;chat1~+15550001111");
    expect(encodeThreadId({ chatGuid: "any;-;+1555", phone: "shared" })).toBe("imessage:any;-;+1555");
  });

  it("rejects another adapter's prefix and malformed GUIDs", () => {
    expect(() => decodeThreadId("slack:C123")).toThrow(/does not start with "imessage:"/);
    expect(() => decodeThreadId("imessage:not-a-guid")).toThrow(/not an iMessage chat GUID/);
  });
});

describe("markdown to iMessage plain text", () => {
  const converter = new iMessageFormatConverter();
  it("keeps content, drops markers", () => {
    expect(converter.renderOutbound({ markdown: "# Title\n\n**bold** and `code` and ~~gone~~\n\n1. first\n2. second\n\n> quoted" })).toBe(
      "Title\n\nbold and code and gone\n\n1. first\n2. second\n\n> quoted",
    );
  });
  it("converts emoji placeholders", () => {
    expect(converter.renderOutbound("nice {{emoji:thumbs_up}}")).toBe("nice 👍");
  });
});
