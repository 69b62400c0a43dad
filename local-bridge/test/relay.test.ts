import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { ChatDb, type LocalMessage } from "../src/chat-db.ts";
import { RelayClient } from "../src/relay.ts";
import { ALICE, buildSampleChatDb } from "./fixtures/sample.ts";
import { tempDir } from "./helpers.ts";

interface Frame {
  type: string;
  id?: string;
  requestId?: string;
  ok?: boolean;
  error?: string;
  envelope?: { event: string; message: { id: string; space: { id: string }; content: Record<string, unknown> } };
}

const servers: WebSocketServer[] = [];
const clients: RelayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  for (const server of servers.splice(0)) {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A relay endpoint like the Worker's: records frames and connections, acks when told to. */
async function relayServer(options: { ack?: (frame: Frame) => boolean; accept?: () => boolean } = {}) {
  let handshakes = 0;
  const server = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    verifyClient: () => (handshakes++, options.accept?.() ?? true),
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const frames: Frame[] = [];
  const requests: IncomingMessage[] = [];
  const sockets: WebSocket[] = [];
  server.on("connection", (socket, request) => {
    requests.push(request);
    sockets.push(socket);
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      frames.push(frame);
      if (frame.type === "event" && (options.ack?.(frame) ?? true)) socket.send(JSON.stringify({ type: "ack", id: frame.id }));
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/imessage/relay`;
  return {
    server, url, frames, requests, sockets,
    handshakes: () => handshakes,
    events: () => frames.filter((f) => f.type === "event"),
  };
}

function sampleRows(): LocalMessage[] {
  const dir = tempDir();
  buildSampleChatDb(join(dir, "chat.db"));
  return new ChatDb(join(dir, "chat.db"), dir).readAfter(0, 100).filter((row) => !row.isFromMe);
}

function client(url: string, extra: Partial<ConstructorParameters<typeof RelayClient>[0]> = {}) {
  const sends: { chatGuid: string; text?: string; files?: readonly { filename: string; data: Uint8Array }[] }[] = [];
  const commits: number[] = [];
  const relay = new RelayClient({
    url,
    secret: "relay_test",
    sender: { send: async (chatGuid, content) => void sends.push({ chatGuid, ...content }) },
    onCommit: (rowid) => commits.push(rowid),
    initialBackoffMs: 20,
    maxBackoffMs: 100,
    ackTimeoutMs: 200,
    random: () => 0.5,
    ...extra,
  });
  clients.push(relay);
  return { relay, sends, commits };
}

describe("RelayClient", () => {
  it("connects with the secret as a bearer token and forwards events with stable ids and slim envelopes", async () => {
    const server = await relayServer();
    const { relay, commits } = client(server.url);
    relay.start();
    const rows = sampleRows();
    for (const row of rows) await relay.enqueue(row);
    await vi.waitFor(() => expect(relay.pendingCount).toBe(0));
    expect(server.requests[0]?.headers.authorization).toBe("Bearer relay_test");
    const hello = server.events().find((f) => f.envelope?.message.content.text === "hey bot, what's up?");
    expect(hello?.id).toBe(`imessage-local:${rows[0]?.guid}`);
    expect(hello?.envelope).toMatchObject({
      event: "messages",
      message: { id: rows[0]?.guid, platform: "imessage", direction: "inbound", sender: { id: ALICE }, space: { id: `any;-;${ALICE}`, type: "dm" } },
    });
    const tapbacks = server.events().filter((f) => f.envelope?.message.content.type === "reaction");
    expect(tapbacks.map((f) => f.envelope?.message.content)).toEqual([
      { type: "reaction", emoji: "❤️", tapback: "love", target: { id: rows[0]?.guid, part: 0 } },
      { type: "reaction", emoji: "❤️", tapback: "love", target: { id: rows[0]?.guid, part: 0 }, removed: true },
      expect.objectContaining({ type: "reaction", emoji: "😂" }),
    ]);
    expect(commits.at(-1)).toBe(rows.at(-1)?.rowid);
  });

  it("resends unacknowledged events, and commits only up to the oldest unacknowledged row", async () => {
    let dropFirst = true;
    const server = await relayServer({
      ack: (frame) => {
        if (frame.id?.endsWith(rows[1]?.guid ?? "") && dropFirst) {
          dropFirst = false;
          return false;
        }
        return true;
      },
    });
    const rows = sampleRows().slice(0, 3);
    const { relay, commits } = client(server.url);
    relay.start();
    await vi.waitFor(() => expect(relay.connected).toBe(true));
    for (const row of rows) await relay.enqueue(row);
    await vi.waitFor(() => expect(server.events()).toHaveLength(3));
    expect(relay.pendingCount).toBe(1);
    expect(commits.at(-1)).toBe((rows[1]?.rowid ?? 0) - 1);
    await vi.waitFor(() => expect(relay.pendingCount).toBe(0), { timeout: 2000 });
    expect(server.events().filter((f) => f.id === `imessage-local:${rows[1]?.guid}`)).toHaveLength(2);
    expect(commits.at(-1)).toBe(rows[2]?.rowid);
  });

  it("queues while disconnected, reconnects with backoff and sends what is pending", async () => {
    let up = true;
    const server = await relayServer({ accept: () => up });
    const { relay } = client(server.url);
    relay.start();
    await vi.waitFor(() => expect(relay.connected).toBe(true));
    up = false;
    for (const socket of server.sockets) socket.terminate();
    const rows = sampleRows();
    await relay.enqueue(rows[0] as LocalMessage);
    await vi.waitFor(() => expect(server.handshakes()).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    expect(relay.connected).toBe(false);
    expect(relay.pendingCount).toBe(1);
    expect(server.events()).toEqual([]);
    up = true;
    await vi.waitFor(() => expect(relay.pendingCount).toBe(0), { timeout: 2000 });
    expect(server.events().map((f) => f.id)).toEqual([`imessage-local:${rows[0]?.guid}`]);
  });

  it("performs sends the Worker asks for and answers with send-result", async () => {
    const server = await relayServer();
    const { relay, sends } = client(server.url);
    relay.start();
    await vi.waitFor(() => expect(server.sockets).toHaveLength(1));
    server.sockets[0]?.send(
      JSON.stringify({
        type: "send",
        requestId: "req-1",
        chatGuid: `any;-;${ALICE}`,
        text: "hi from the Worker",
        files: [{ filename: "a.txt", mimeType: "text/plain", dataBase64: Buffer.from("hello").toString("base64") }],
      }),
    );
    await vi.waitFor(() => expect(server.frames.find((f) => f.type === "send-result")).toEqual({ type: "send-result", requestId: "req-1", ok: true }));
    expect(sends[0]?.chatGuid).toBe(`any;-;${ALICE}`);
    expect(sends[0]?.text).toBe("hi from the Worker");
    expect(Buffer.from(sends[0]?.files?.[0]?.data ?? []).toString()).toBe("hello");
  });

  it("reports a failed send with its error text", async () => {
    const server = await relayServer();
    const { relay } = client(server.url, {
      sender: { send: async () => Promise.reject(new Error("osascript failed (exit 1): Messages got an error")) },
    });
    relay.start();
    await vi.waitFor(() => expect(server.sockets).toHaveLength(1));
    server.sockets[0]?.send(JSON.stringify({ type: "send", requestId: "req-2", chatGuid: "any;-;+1", text: "x" }));
    await vi.waitFor(() =>
      expect(server.frames.find((f) => f.type === "send-result")).toEqual({
        type: "send-result",
        requestId: "req-2",
        ok: false,
        error: "osascript failed (exit 1): Messages got an error",
      }),
    );
  });

  it("answers a malformed send request with a failed send-result naming the problem", async () => {
    const server = await relayServer();
    const { relay, sends } = client(server.url);
    relay.start();
    await vi.waitFor(() => expect(server.sockets).toHaveLength(1));
    server.sockets[0]?.send(JSON.stringify({ type: "send", requestId: "req-3", text: "x" }));
    await vi.waitFor(() =>
      expect(server.frames.find((f) => f.type === "send-result")).toMatchObject({ requestId: "req-3", ok: false, error: expect.stringContaining("chatGuid") }),
    );
    expect(sends).toEqual([]);
  });

  it("backs off with growing, capped, jittered delays while the Worker is unreachable", async () => {
    const attempts: number[] = [];
    const { relay } = client("ws://127.0.0.1:1/unreachable", {
      socketFactory: () => {
        attempts.push(Date.now());
        throw new Error("ECONNREFUSED");
      },
      initialBackoffMs: 10,
      maxBackoffMs: 40,
      random: () => 0,
    });
    relay.start();
    await vi.waitFor(() => expect(attempts.length).toBeGreaterThanOrEqual(5), { timeout: 2000 });
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps.slice(3))).toBeLessThan(120);
  });
});

describe("RelayClient nacks", () => {
  it("retries an event the Worker refuses, and drops it after repeated refusals so the watermark moves on", async () => {
    const server = await relayServer({ ack: () => false });
    server.server.on("connection", (socket) =>
      socket.on("message", (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        socket.send(JSON.stringify({ type: "nack", id: frame.id, error: "gateway not bound" }));
      }),
    );
    const { relay, commits } = client(server.url, { ackTimeoutMs: 60 });
    relay.start();
    const row = sampleRows()[0] as LocalMessage;
    await relay.enqueue(row);
    await vi.waitFor(() => expect(relay.pendingCount).toBe(0), { timeout: 3000 });
    expect(server.events().length).toBe(5);
    expect(commits.at(-1)).toBe(row.rowid);
  });
});

describe("RelayClient backpressure", () => {
  it("pauses reading at maxInFlight unacknowledged events, and stop() releases the wait", async () => {
    const { relay } = client("ws://127.0.0.1:1/unreachable", {
      socketFactory: () => {
        throw new Error("ECONNREFUSED");
      },
      maxInFlight: 2,
    });
    relay.start();
    const rows = sampleRows();
    await relay.enqueue(rows[0] as LocalMessage);
    let third = false;
    const blocked = relay.enqueue(rows[1] as LocalMessage).then(() => (third = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBe(false);
    expect(relay.pendingCount).toBe(2);
    await relay.stop();
    await blocked;
    expect(third).toBe(true);
  });
});

describe("startRelayBridge", () => {
  it("relays new database rows, saves the watermark only after acks, and sends what the Worker asks", async () => {
    const { startRelayBridge } = await import("../src/relay-bridge.ts");
    const { readFileSync } = await import("node:fs");
    const server = await relayServer();
    const dir = tempDir();
    const sample = buildSampleChatDb(join(dir, "chat.db"));
    const scripts: string[] = [];
    const bridge = startRelayBridge({
      url: server.url,
      secret: "relay_test",
      dbPath: join(dir, "chat.db"),
      watermarkPath: join(dir, "relay-watermark.json"),
      startAt: "beginning",
      runOsascript: async (script) => (scripts.push(script), { stdout: "", stderr: "" }),
    });
    try {
      await vi.waitFor(() => expect(server.events()).toHaveLength(9));
      await vi.waitFor(() =>
        expect(JSON.parse(readFileSync(join(dir, "relay-watermark.json"), "utf8")).rowid).toBe(sample.oldFormat.rowid),
      );
      server.sockets[0]?.send(JSON.stringify({ type: "send", requestId: "r1", chatGuid: "any;+;chat914325730198374", text: "hi group" }));
      await vi.waitFor(() => expect(server.frames.find((f) => f.type === "send-result")?.ok).toBe(true));
      expect(scripts[0]).toContain('chat id "iMessage;+;chat914325730198374"');
      expect(scripts[0]).toContain('send "hi group" to targetRecipient');
    } finally {
      await bridge.stop();
    }
  });
});
