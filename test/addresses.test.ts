/**
 * Addresses and conversation identity through the public API, against the simulator: openDM with
 * emails and national numbers, every spelling of a DM GUID as one thread, Photon's `~shared` thread
 * ids, and `https://` server URLs.
 */
import { env } from "cloudflare:workers";
import { Chat, type Adapter, type Thread } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import type { iMessageAdapterOptions } from "../src/core/config.ts";
import { ValidationError } from "../src/core/errors.ts";
import { decodeThreadId, encodeThreadId } from "../src/core/thread-id.ts";
import { SECRET, signedRequest } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { silent, sim, simulatorHostPort } from "./outbound-helpers.ts";
import { buildEnvelope } from "./simulator/webhook.ts";

interface Seen {
  threadId: string;
  text: string;
  callback: "mention" | "subscribed" | "message";
}

/** A self-host bot on the simulator whose handlers record the thread ids they ran in; `ping` replies and subscribes. */
async function bot(options: Partial<iMessageAdapterOptions> = {}) {
  const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", webhookSecret: SECRET, logger: silent, ...options });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
  const seen: Seen[] = [];
  const handle = (callback: Seen["callback"]) => async (thread: Thread, message: { text: string }) => {
    seen.push({ threadId: thread.id, text: message.text, callback });
    if (message.text === "ping") {
      await thread.subscribe();
      await thread.post("pong");
    }
  };
  chat.onNewMention(handle("mention"));
  chat.onSubscribedMessage(handle("subscribed"));
  chat.onNewMessage(/[\s\S]*/, handle("message"));
  await chat.initialize();
  const since = await sim.mark();
  // Other suites share the simulator: keep only the requests that name this test's addresses.
  const sent = async (path: string, ...mine: string[]) =>
    (await sim.requests({ since, path }))
      .map((r) => r.body as Record<string, unknown>)
      .filter((body) => mine.some((needle) => JSON.stringify(body).includes(needle)));
  return { adapter, chat, seen, sent };
}

/** Delivers a signed inbound text in `chatGuid` from `sender` to the adapter. */
async function deliver(adapter: { handleWebhook(r: Request): Promise<Response> }, chatGuid: string, sender: string, text: string): Promise<void> {
  const body = JSON.stringify(buildEnvelope({ chatGuid, sender, text }));
  const response = await adapter.handleWebhook(await signedRequest(body));
  expect(response.status).toBe(200);
}

const freshNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;

describe("openDM addresses", () => {
  it("an email reaches the server exactly (dots, dashes and plus kept; only trimmed)", async () => {
    const { adapter, sent } = await bot();
    expect(await adapter.openDM("  friend@example.com ")).toBe("imessage:any;-;friend@example.com");
    expect(await adapter.openDM("first.last-name+bot@mail.example-host.com")).toBe("imessage:any;-;first.last-name+bot@mail.example-host.com");
    expect((await sent("/v1/chats", "example.com", "example-host.com")).map((b) => b.addresses)).toEqual([
      ["friend@example.com"],
      ["first.last-name+bot@mail.example-host.com"],
    ]);
  });

  it("national numbers with defaultCountry US become E.164, the same thread as inbound messages from that number", async () => {
    const { adapter, seen, sent } = await bot({ defaultCountry: "us" });
    const threads = [await adapter.openDM("9565179045"), await adapter.openDM("(956) 517-9045"), await adapter.openDM("19565179045")];
    expect(new Set(threads)).toEqual(new Set(["imessage:any;-;+19565179045"]));
    expect((await sent("/v1/chats", "9565179045")).map((b) => b.addresses)).toEqual([["+19565179045"], ["+19565179045"], ["+19565179045"]]);
    await deliver(adapter, "any;-;+19565179045", "+19565179045", "hello");
    expect(seen).toEqual([{ threadId: threads[0], text: "hello", callback: "mention" }]);
  });

  it("IMESSAGE_DEFAULT_COUNTRY in the env works like the option; a bad one is refused at creation", async () => {
    const adapter = createiMessageAdapter({ env: { IMESSAGE_DEFAULT_COUNTRY: "US" }, serverUrl: simulatorHostPort, apiKey: "sim_api_key", logger: silent });
    expect(adapter.config.defaultCountry).toBe("US");
    expect(() => createiMessageAdapter({ env: { IMESSAGE_DEFAULT_COUNTRY: "USA" }, serverUrl: simulatorHostPort, apiKey: "k" })).toThrow(
      /IMESSAGE_DEFAULT_COUNTRY \(defaultCountry\) must be an ISO 3166-1 alpha-2 country code.*got "USA"/,
    );
    expect(() => createiMessageAdapter({ env: {}, defaultCountry: "XX", serverUrl: simulatorHostPort, apiKey: "k" })).toThrow(ValidationError);
  });

  it("without a default country a national number is refused, saying to add +<country code> or set IMESSAGE_DEFAULT_COUNTRY", async () => {
    const { adapter, sent } = await bot();
    const refusal = adapter.openDM("9565179045");
    await expect(refusal).rejects.toBeInstanceOf(ValidationError);
    await expect(refusal).rejects.toThrow(/\+<country code>.*IMESSAGE_DEFAULT_COUNTRY/);
    expect(await sent("/v1/chats", "9565179045")).toEqual([]);
  });

  it("invalid numbers are refused with what is wrong, before any request", async () => {
    const { adapter, sent } = await bot({ defaultCountry: "US" });
    await expect(adapter.openDM("+1234")).rejects.toThrow(/not a valid phone number: it is too short/);
    await expect(adapter.openDM("+1 956 517 9045 1234")).rejects.toThrow(/too long/);
    await expect(adapter.openDM("+999 123 456 789")).rejects.toThrow(/country calling code/);
    await expect(adapter.openDM("12345")).rejects.toThrow(/read as a US number.*too short/);
    await expect(adapter.openDM("call me")).rejects.toThrow(/neither a phone number .* nor an email/);
    await expect(adapter.openDM("friend@example")).rejects.toThrow(/not an email address/);
    expect(await sent("/v1/chats", "\"+1234\"", "9565179045", "+999", "call me", "friend@example\"")).toEqual([]);
  });
});

describe("one person, one conversation", () => {
  it("iMessage;-;, SMS;-; and any;-; deliveries are one thread: a subscription holds across them and replies go to any;-;", async () => {
    const { adapter, seen, sent } = await bot();
    const number = freshNumber();
    const threadId = await adapter.openDM(number);
    await deliver(adapter, `iMessage;-;${number}`, number, "ping");
    await deliver(adapter, `SMS;-;${number}`, number, "over sms");
    await deliver(adapter, `any;-;${number}`, number, "over any");
    expect(seen).toEqual([
      { threadId, text: "ping", callback: "mention" },
      { threadId, text: "over sms", callback: "subscribed" },
      { threadId, text: "over any", callback: "subscribed" },
    ]);
    const [reply, ...others] = await sent("/v1/messages:sendText", number);
    expect(others).toEqual([]);
    // The reply's idempotency key is the delivery's (so a re-run cannot send twice): the canonical chat carried it.
    expect(reply).toMatchObject({ chatGuid: `any;-;${number}`, text: "pong", clientMessageId: expect.stringMatching(/^d-[0-9a-f]{16}-0$/) });
  });

  it("a formatted number in a DM GUID and a service-prefixed group GUID are canonical too", async () => {
    const { adapter, seen } = await bot();
    const number = freshNumber();
    const spaced = `${number.slice(0, 2)} (${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`;
    await deliver(adapter, `SMS;-;${spaced}`, number, "formatted");
    await deliver(adapter, "iMessage;+;chat4242", number, "in a group");
    expect(seen.map((s) => s.threadId)).toEqual([`imessage:any;-;${number}`, "imessage:any;+;chat4242"]);
    expect(encodeThreadId({ chatGuid: `iMessage;-;${spaced}` })).toBe(`imessage:any;-;${number}`);
    expect(encodeThreadId({ chatGuid: "iMessage;-;friend@example.com" })).toBe("imessage:any;-;friend@example.com");
  });
});

describe("thread ids stored by Photon's adapter", () => {
  it("~shared and ~<phone> decode to the canonical chat, and posting to them works", async () => {
    const { adapter, sent } = await bot();
    const number = freshNumber();
    await adapter.openDM(number);
    expect(decodeThreadId(`imessage:any;-;${number}~shared`)).toEqual({ chatGuid: `any;-;${number}` });
    expect(decodeThreadId(`imessage:iMessage;-;${number}~+15550001111`)).toEqual({ chatGuid: `any;-;${number}`, phone: "+15550001111" });
    expect(decodeThreadId("imessage:any;-;a~b@example.com")).toEqual({ chatGuid: "any;-;a~b@example.com" });
    await adapter.postMessage(`imessage:any;-;${number}~shared`, "from a stored id");
    await adapter.postMessage(`imessage:iMessage;-;${number}~shared`, "from an iMessage-spelled id");
    expect((await sent("/v1/messages:sendText", number)).map((b) => [b.chatGuid, b.text])).toEqual([
      [`any;-;${number}`, "from a stored id"],
      [`any;-;${number}`, "from an iMessage-spelled id"],
    ]);
    const info = await adapter.fetchThread(`imessage:any;-;${number}~shared`);
    expect(info.metadata.chatGuid).toBe(`any;-;${number}`);
  });
});

describe("server URLs", () => {
  it("https://host:port is accepted and mapped to host:port as Photon's adapter does (loopback then speaks http)", async () => {
    const port = new URL(env.SIMULATOR_URL).port;
    const { adapter, sent } = await bot({ serverUrl: `https://127.0.0.1:${port}/` });
    expect(adapter.config.mode === "self-host" && adapter.config.clients[0]?.address).toBe(`127.0.0.1:${port}`);
    const number = freshNumber();
    const threadId = await adapter.openDM(number);
    await adapter.postMessage(threadId, "over a URL-configured server");
    expect((await sent("/v1/messages:sendText", number)).map((b) => b.chatGuid)).toEqual([`any;-;${number}`]);
    const hosted = createiMessageAdapter({ env: { IMESSAGE_SERVER_URL: "https://imessage.example.com", IMESSAGE_API_KEY: "k" } });
    expect(hosted.config.mode === "self-host" && hosted.config.clients[0]?.address).toBe("imessage.example.com:443");
  });
});
