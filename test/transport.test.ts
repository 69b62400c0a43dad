import { AuthenticationError, ConnectionError, IMessageError, RateLimitError } from "@photon-ai/advanced-imessage/http";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { httpOrigin } from "../src/transport/address.ts";
import { DM, DM_GUID, cloud, lastToken, selfHosted, silent, sim, simulatorHostPort } from "./outbound-helpers.ts";

describe("cloud transport", () => {
  it("fetches a token with HTTP Basic once, and reuses it for every message", async () => {
    const w = await cloud();
    for (let i = 0; i < 5; i++) await w.adapter.postMessage(DM, `message ${i}`);
    const issued = await sim.tokenIssuances();
    expect(issued.byProject[w.projectId as string]).toBe(1);
    const [tokenRequest] = await w.requests(`/projects/${w.projectId}/imessage/tokens`);
    expect(tokenRequest?.method).toBe("POST");
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${btoa(`${w.projectId}:s3cret`)}`);
    const sends = await w.requests("/v1/messages:sendText");
    expect(new Set(sends.map((s) => s.headers.authorization)).size).toBe(1);
  });

  it("concurrent first sends share one token request", async () => {
    const w = await cloud();
    await Promise.all(Array.from({ length: 8 }, (_, i) => w.adapter.postMessage(DM, `parallel ${i}`)));
    expect((await sim.tokenIssuances()).byProject[w.projectId as string]).toBe(1);
  });

  it("refreshes the token shortly before it expires", async () => {
    const w = await cloud({ expiresIn: 61 });
    await w.adapter.postMessage(DM, "first");
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await w.adapter.postMessage(DM, "after expiry margin");
    expect((await sim.tokenIssuances()).byProject[w.projectId as string]).toBe(2);
  });

  it("a token the server rejects before its expiry (401 tokenExpired) is replaced and the write made once, with the same idempotency key", async () => {
    const w = await cloud({ expiresIn: 3600 });
    await w.adapter.postMessage(DM, "before");
    const before = await lastToken(w);
    expect(await sim.expireTokens(w.projectId)).toBe(1);
    await w.mark();
    await w.adapter.postMessage(DM, "after the server expired the token");
    const sends = await w.requests("/v1/messages:sendText");
    expect(sends.map((r) => r.status)).toEqual([401, 200]);
    const keys = sends.map((r) => (r.body as { clientMessageId: string }).clientMessageId);
    expect(keys[0]).toBe(keys[1]);
    expect(await lastToken(w)).not.toBe(before);
    expect((await sim.tokenIssuances()).byProject[w.projectId as string]).toBe(2);
  });

  it("a token cached in the Chat state serves a fresh adapter instance (another isolate)", async () => {
    const w = await cloud();
    await w.adapter.postMessage(DM, "warm");
    const state = w.chat.getState();
    const { Chat } = await import("chat");
    const twin = createiMessageAdapter({
      env: { SPECTRUM_CLOUD_URL: sim.baseUrl, IMESSAGE_HTTP_ADDRESS: simulatorHostPort },
      projectId: w.projectId,
      projectSecret: "s3cret",
      logger: silent,
    });
    const chat = new Chat({ userName: "bot", adapters: { imessage: twin }, state, logger: "silent" });
    await chat.initialize();
    await twin.postMessage(DM, "cold isolate");
    expect((await sim.tokenIssuances()).byProject[w.projectId as string]).toBe(1);
  });

  it("wrong project credentials surface the cloud's refusal with what to check", async () => {
    const adapter = createiMessageAdapter({
      env: { SPECTRUM_CLOUD_URL: sim.baseUrl, IMESSAGE_HTTP_ADDRESS: simulatorHostPort },
      projectId: "proj_test",
      projectSecret: "wrong",
      logger: silent,
    });
    const { Chat } = await import("chat");
    const { createMemoryState } = await import("./memory-state.ts");
    await new Chat({ userName: "bot", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" }).initialize();
    await expect(adapter.postMessage(DM, "x")).rejects.toThrow(/rejected project "proj_test" \(HTTP 401\).*IMESSAGE_PROJECT_SECRET/);
  });

  it("dedicated numbers: one client per phone, routed with x-photon-server by the thread's phone", async () => {
    const w = await cloud({ mode: "dedicated", instances: { "inst-a": "+15550001111", "inst-b": "+15550002222" }, phone: "+15550001111" });
    await w.adapter.postMessage("imessage:any;-;+15551234567~+15550002222", "from line b");
    await w.adapter.postMessage(DM, "from the default line a");
    const sends = await w.requests("/v1/messages:sendText");
    expect(sends.map((s) => [s.headers["x-photon-server"], (s.body as { text: string }).text])).toEqual([
      ["inst-b", "from line b"],
      ["inst-a", "from the default line a"],
    ]);
    expect(sends[0]?.headers.authorization).not.toBe(sends[1]?.headers.authorization);
    await expect(w.adapter.postMessage("imessage:any;-;+15551234567~+15559999999", "x")).rejects.toThrow(
      /no iMessage line for phone "\+15559999999"/,
    );
  });
});

describe("retries, errors and timeouts (the client's own retry, configured)", () => {
  it("429 with Retry-After is retried after the wait, with the same idempotency key", async () => {
    const w = await cloud();
    await w.adapter.startTyping(DM);
    const token = await lastToken(w);
    await sim.fault({ match: "/v1/messages:sendText", token, status: 429, retryAfter: 1, times: 1 });
    await w.mark();
    const started = Date.now();
    await w.adapter.postMessage(DM, "eventually");
    const sends = await w.requests("/v1/messages:sendText");
    expect(sends.map((s) => s.status)).toEqual([429, 200]);
    expect(sends[0]?.headers["x-idempotency-key"]).toBe(sends[1]?.headers["x-idempotency-key"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("a burst of 503s is retried with backoff until it succeeds", async () => {
    const w = await cloud();
    await w.adapter.startTyping(DM);
    const token = await lastToken(w);
    await sim.fault({ match: "/v1/messages:sendText", token, status: 503, times: 2 });
    await w.mark();
    await w.adapter.postMessage(DM, "after the outage");
    const sends = await w.requests("/v1/messages:sendText");
    expect(sends.map((s) => s.status)).toEqual([503, 503, 200]);
    expect(new Set(sends.map((s) => s.headers["x-idempotency-key"])).size).toBe(1);
    const state = await sim.state();
    const stored = state.messages.filter((m) => JSON.stringify(m).includes("after the outage"));
    expect(stored).toHaveLength(1);
  });

  it("gives up after the attempt budget and surfaces a typed rate-limit error", async () => {
    const w = await cloud();
    await w.adapter.startTyping(DM);
    const token = await lastToken(w);
    await sim.fault({ match: "/v1/messages:sendText", token, status: 429, times: 10 });
    await w.mark();
    const error = await w.adapter.postMessage(DM, "never").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(await w.requests("/v1/messages:sendText")).toHaveLength(4);
    await sim.clearFaults();
  });

  it("validation errors are not retried and carry the server's message", async () => {
    const w = await selfHosted();
    const error = await w.adapter.postMessage("imessage:any;-;+15550000000", "to a chat the server lacks").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IMessageError);
    expect((error as Error).message).toMatch(/chat not found/);
    expect(await w.requests("/v1/messages:sendText")).toHaveLength(1);
  });

  it("a wrong API key is an AuthenticationError", async () => {
    const adapter = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "wrong", logger: silent });
    const error = await adapter.markAsRead(DM).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
  });

  it("a server slower than timeoutMs fails with a timeout, bounded", async () => {
    const w = await cloud({ timeoutMs: 300 });
    await w.adapter.startTyping(DM);
    const token = await lastToken(w);
    await sim.fault({ match: "/v1/chats:markRead", token, delayMs: 2000, times: 1 });
    const started = Date.now();
    const error = await w.adapter.markAsRead(DM).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("self-host configuration", () => {
  it("loopback host:port uses plain http, anything else https", () => {
    expect(httpOrigin("127.0.0.1:8788")).toBe("http://127.0.0.1:8788");
    expect(httpOrigin("localhost:50051")).toBe("http://localhost:50051");
    expect(httpOrigin("[::1]:9000")).toBe("http://[::1]:9000");
    expect(httpOrigin("imessage.example.com:443")).toBe("https://imessage.example.com:443");
  });

  it("an https:// serverUrl is accepted and mapped to host:port (Photon's adapter's mapping)", () => {
    const adapter = createiMessageAdapter({ env: {}, serverUrl: "https://imessage.example.com", apiKey: "k" });
    expect(adapter.config.mode === "self-host" && adapter.config.clients[0]?.address).toBe("imessage.example.com:443");
  });

  it("clients[] route by phone", async () => {
    const adapter = createiMessageAdapter({
      env: {},
      clients: [
        { address: simulatorHostPort, token: "sim_api_key", phone: "+15550001111" },
        { address: "127.0.0.1:1", token: "unused", phone: "+15550002222" },
      ],
      phone: "+15550001111",
      logger: silent,
    });
    await adapter.markAsRead(DM);
    await expect(adapter.markAsRead(`${DM}~+15550002222`)).rejects.toBeInstanceOf(ConnectionError);
    expect(DM_GUID).toBe("any;-;+15551234567");
  });
});
