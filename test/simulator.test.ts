/**
 * The Spectrum simulator, driven from workerd by the real `createHttpClient`.
 *
 * Suites may share the simulator concurrently: these tests use their own
 * project, their own tokens (faults are scoped to them) and `since` marks,
 * never a global reset.
 */
import { env } from "cloudflare:workers";
import {
  AuthenticationError,
  ConnectionError,
  IMessageError,
  NotFoundError,
  ValidationError,
  createHttpClient,
} from "@photon-ai/advanced-imessage/http";
import type { AdvancedIMessage, ClientOptions } from "@photon-ai/advanced-imessage/http";
import { verifySpectrumSignature } from "@spectrum-ts/core/webhook";
import { beforeAll, describe, expect, it } from "vitest";
import { createSimulator } from "./simulator/app.ts";
import { buildEnvelope, signSpectrumWebhook, simulatorClient } from "./simulator/client.ts";

const SIM_URL = (env as unknown as { SIMULATOR_URL: string }).SIMULATOR_URL;
const sim = simulatorClient(SIM_URL);
const DEMO_GROUP = "any;+;chat914325730198374";
const PROJECT = "proj_simulator_suite";
const SECRET = "secret_simulator_suite";

function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${id}:${secret}`)}`;
}

async function cloud(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${SIM_URL}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function issueToken(projectId = PROJECT, secret = SECRET): Promise<Record<string, unknown>> {
  const { status, body } = await cloud(`/projects/${projectId}/imessage/tokens`, {
    method: "POST",
    headers: { authorization: basic(projectId, secret) },
  });
  expect(status).toBe(200);
  expect(body.succeed).toBe(true);
  return body.data as Record<string, unknown>;
}

function client(token: string, options: Partial<ClientOptions> = {}): AdvancedIMessage {
  return createHttpClient({ address: SIM_URL, token, autoIdempotency: true, timeout: 5_000, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<IMessageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IMessageError);
    return error as IMessageError;
  }
  throw new Error("expected the call to fail");
}

let token = "";

beforeAll(async () => {
  await sim.project({ projectId: PROJECT, secret: SECRET, mode: "shared", expiresIn: 3600 });
  token = (await issueToken()).token as string;
});

describe("Spectrum Cloud token endpoints", () => {
  it("answers project and platform lookups wrapped in { succeed, data }", async () => {
    const project = await cloud(`/projects/proj_test/`, { headers: { authorization: basic("proj_test", "secret_test") } });
    expect(project.status).toBe(200);
    expect(project.body).toMatchObject({ succeed: true, data: { id: "proj_test" } });
    const platforms = await cloud(`/projects/proj_test/platforms/`);
    expect(platforms.body).toEqual({ succeed: true, data: { imessage: { enabled: true } } });
  });

  it("refuses wrong project credentials with 401 JSON", async () => {
    const wrong = await cloud(`/projects/proj_demo/imessage/tokens`, { method: "POST", headers: { authorization: basic("proj_demo", "nope") } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ succeed: false, code: "UNAUTHORIZED" });
    const missing = await cloud(`/projects/proj_demo/`);
    expect(missing.status).toBe(401);
  });

  it("issues shared tokens and counts every issuance", async () => {
    const before = (await sim.tokenIssuances()).byProject[PROJECT] ?? 0;
    const data = await issueToken();
    expect(data).toMatchObject({ type: "shared", expiresIn: 3600 });
    expect(typeof data.token).toBe("string");
    await issueToken();
    expect((await sim.tokenIssuances()).byProject[PROJECT]).toBe(before + 2);
  });

  it("switches a project to dedicated mode: per-instance tokens that need x-photon-server", async () => {
    const projectId = "proj_simulator_dedicated";
    await sim.project({ projectId, secret: "s", mode: "dedicated", instances: { inst_a: "+15550004444" } });
    const data = await issueToken(projectId, "s");
    expect(data).toMatchObject({ type: "dedicated", numbers: { inst_a: "+15550004444" }, expiresIn: 3600 });
    const instanceToken = (data.auth as Record<string, string>).inst_a as string;

    const routed = client(instanceToken, { server: "inst_a" });
    const chat = await routed.chats.get(DEMO_GROUP);
    expect(chat.guid).toBe(DEMO_GROUP);
    const [entry] = await sim.requests({ path: "/v1/chats:get", since: (await sim.mark()) - 1 });
    expect(entry?.headers["x-photon-server"]).toBe("inst_a");

    const unrouted = await rejection(client(instanceToken).chats.get(DEMO_GROUP));
    expect(unrouted).toBeInstanceOf(AuthenticationError);
    const sharedOnInstance = await rejection(client(token, { server: "inst_a" }).chats.get(DEMO_GROUP));
    expect(sharedOnInstance).toBeInstanceOf(AuthenticationError);
  });
});

describe("iMessage HTTP API through the real client", () => {
  it("creates chats, sends, replies, edits, reacts, unsends and reads messages", async () => {
    const im = client(token);
    const since = await sim.mark();
    const address = `+1555${Date.now().toString().slice(-7)}`;
    const created = await im.chats.create([address], { message: "first!" });
    expect(created.chat).toMatchObject({ guid: `any;-;${address}`, isGroup: false, service: "iMessage" });
    expect(created.initialMessage?.content.text).toBe("first!");
    const chat = created.chat.guid;

    const hello = await im.messages.sendText(chat, "hello", { subject: "hi" });
    expect(hello).toMatchObject({ isFromMe: true, subject: "hi", chatGuids: [chat] });
    expect(hello.dateCreated).toBeInstanceOf(Date);
    const reply = await im.messages.sendText(chat, "a reply", { replyTo: hello.guid });
    expect(reply.replyTargetGuid).toBe(hello.guid);
    expect(reply.threadOriginatorGuid).toBe(hello.guid);

    const edited = await im.messages.edit(chat, hello.guid, "hello, edited");
    expect(edited.content.text).toBe("hello, edited");
    expect(edited.dateEdited).toBeInstanceOf(Date);

    const like = await im.messages.setReaction(chat, reply.guid, { kind: "like" }, true);
    expect(like).toMatchObject({ reactionTargetGuid: reply.guid, reaction: { kind: "like" }, reactionSelected: true });
    const love = await im.messages.setReaction(chat, reply.guid, { kind: "love" }, true);
    expect(love.reaction?.kind).toBe("love");
    const removed = await im.messages.setReaction(chat, reply.guid, { kind: "love" }, false);
    expect(removed.reactionSelected).toBe(false);

    await im.messages.unsend(chat, reply.guid);
    const fetched = await im.messages.get(reply.guid);
    expect(fetched.dateRetracted).toBeInstanceOf(Date);
    expect(fetched.content.text).toBeUndefined();

    const thread = await im.chats.get(chat);
    expect(thread.lastMessage?.guid).toBe(removed.guid);

    await im.chats.setTyping(chat, true);
    await im.chats.setTyping(chat, false);
    await im.chats.markRead(chat);

    const recorded = await sim.requests({ since });
    const sends = recorded.filter((r) => r.path === "/v1/messages:sendText");
    expect(sends).toHaveLength(2);
    expect(sends[0]?.body).toEqual({ chatGuid: chat, text: "hello", subject: "hi" });
    expect(sends[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(sends[0]?.headers["x-idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    const reactions = recorded.filter((r) => r.path === "/v1/messages:setReaction").map((r) => r.body);
    expect(reactions[0]).toMatchObject({ reaction: { kind: "MESSAGE_REACTION_KIND_LIKE" }, isSet: true });
    expect(reactions[1]).toEqual({ target: { chatGuid: chat, messageGuid: reply.guid }, reaction: {}, isSet: true });
    expect(reactions[2]).toEqual({ target: { chatGuid: chat, messageGuid: reply.guid }, reaction: {} });
    const typing = recorded.filter((r) => r.path === "/v1/chats:setTyping").map((r) => r.body);
    expect(typing).toEqual([{ chatGuid: chat, isTyping: true }, { chatGuid: chat }]);
    const get = recorded.find((r) => r.path === "/v1/chats:get");
    expect(get?.query).toEqual({ chatGuid: chat });
    expect(get?.headers["x-idempotency-key"]).toBeUndefined();

    const state = await sim.state();
    expect(state.typing[chat]).toBe(false);
    expect(state.messages.filter((m) => m.chatGuids[0] === chat && m.content.text === "hello, edited")).toHaveLength(1);
  });

  it("uploads, sends and downloads attachments, and sends multipart messages", async () => {
    const im = client(token);
    const bytes = new TextEncoder().encode("not really a png, but bytes all the same");
    const upload = await im.attachments.upload({ fileName: "photo.png", data: bytes });
    expect(upload.attachment).toMatchObject({ fileName: "photo.png", mimeType: "image/png", totalBytes: bytes.byteLength, transferState: "finished" });
    const guid = upload.attachment.guid;
    const [uploadEntry] = await sim.requests({ path: "/v1/attachments:upload", since: (await sim.mark()) - 1 });
    expect(uploadEntry).toMatchObject({ query: { fileName: "photo.png" }, bodyBytes: bytes.byteLength });
    expect(uploadEntry?.headers["x-idempotency-key"]).toBeDefined();

    expect((await im.attachments.get(guid)).fileName).toBe("photo.png");
    const sent = await im.messages.sendAttachment(DEMO_GROUP, guid);
    expect(sent.content.attachments.map((a) => a.guid)).toEqual([guid]);

    const frames = [];
    for await (const frame of im.attachments.downloadStream(guid)) frames.push(frame);
    expect(frames[0]).toMatchObject({ type: "header", info: { guid } });
    const downloaded = frames.flatMap((f) => (f.type === "primaryChunk" ? [...f.data] : []));
    expect(new Uint8Array(downloaded)).toEqual(bytes);

    const multipart = await im.messages.sendMultipart(DEMO_GROUP, [
      { text: "hey " },
      { text: "@friend", mentionedAddress: "friend@example.com" },
      { attachmentGuid: guid },
    ]);
    expect(multipart.content.text).toBe("hey @friend");
    expect(multipart.content.mentions).toEqual([{ address: "friend@example.com", start: 4, length: 7 }]);
    expect(multipart.partCount).toBe(3);

    const missing = await rejection(im.attachments.get("at_nope"));
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it("pages through a chat's history with a cursor, and lists recent messages", async () => {
    const im = client(token);
    const chat = (await im.chats.create([`pager-${Date.now()}@example.com`])).chat.guid;
    for (let i = 1; i <= 5; i++) await im.messages.sendText(chat, `m${i}`);
    const texts: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await im.messages.listInChat(chat, { pageSize: 2, pageToken });
      texts.push(...page.messages.map((m) => m.content.text ?? ""));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken);
    expect(texts).toEqual(["m5", "m4", "m3", "m2", "m1"]);
    expect(pages).toBe(3);

    const recent = await im.messages.listRecent({ pageSize: 3 });
    expect(recent.messages.map((m) => m.content.text)).toEqual(["m5", "m4", "m3"]);
    expect(await rejection(im.messages.listInChat(chat, { pageSize: 500 }))).toBeInstanceOf(ValidationError);
    expect(await rejection(im.messages.listInChat(chat, { pageToken: "garbage!" }))).toBeInstanceOf(ValidationError);
  });

  it("creates polls, votes and unvotes", async () => {
    const im = client(token);
    const poll = await im.polls.create(DEMO_GROUP, "Lunch?", ["Pizza", "Sushi"]);
    expect(poll).toMatchObject({ chatGuid: DEMO_GROUP, title: "Lunch?", votes: [] });
    expect(poll.options.map((o) => o.text)).toEqual(["Pizza", "Sushi"]);
    const sushi = poll.options[1]?.optionIdentifier ?? "";
    const voted = await im.polls.vote(poll.pollMessageGuid, sushi);
    expect(voted.votes).toEqual([{ optionIdentifier: sushi, participant: { address: "+15550001111", service: "iMessage", country: undefined } }]);
    expect((await im.polls.get(poll.pollMessageGuid)).votes).toHaveLength(1);
    expect((await im.polls.unvote(poll.pollMessageGuid)).votes).toEqual([]);
    expect(await rejection(im.polls.vote(poll.pollMessageGuid, "no-such-option"))).toBeInstanceOf(ValidationError);
    expect(await rejection(im.polls.get("no-such-poll"))).toBeInstanceOf(NotFoundError);
  });

  it("surfaces auth failures, unknown chats/messages and invalid bodies as the client's error classes", async () => {
    const wrongToken = await rejection(client("not-a-token").chats.get(DEMO_GROUP));
    expect(wrongToken).toBeInstanceOf(AuthenticationError);
    expect(wrongToken).toMatchObject({ code: "unauthenticated", grpcCode: 16, retryable: false, source: "middleware" });
    expect(wrongToken.requestId).toMatch(/^sim-req-/);

    const im = client(token);
    const unknownChat = await rejection(im.messages.sendText("any;-;+19999999999", "hi"));
    expect(unknownChat).toBeInstanceOf(NotFoundError);
    expect(unknownChat.code).toBe("chatNotFound");
    expect(await rejection(im.messages.get("NO-SUCH-GUID"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(im.messages.edit(DEMO_GROUP, "NO-SUCH-GUID", "x"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(im.messages.sendText(DEMO_GROUP, ""))).toBeInstanceOf(ValidationError);

    const response = await fetch(`${SIM_URL}/v1/messages:sendText`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_argument", errorCode: "invalidArgument" });
  });

  it("answers 401 tokenExpired once a project's tokens expire", async () => {
    const projectId = "proj_simulator_expiry";
    await sim.project({ projectId, secret: "s" });
    const short = (await issueToken(projectId, "s")).token as string;
    await client(short).chats.get(DEMO_GROUP);
    expect(await sim.expireTokens(projectId)).toBe(1);
    const expired = await rejection(client(short).chats.get(DEMO_GROUP));
    expect(expired).toBeInstanceOf(AuthenticationError);
    expect(expired.code).toBe("tokenExpired");
  });
});

describe("idempotency and fault switches", () => {
  it("replays the first answer for a repeated x-idempotency-key without sending twice", async () => {
    const key = crypto.randomUUID();
    const send = (): Promise<Response> =>
      fetch(`${SIM_URL}/v1/messages:sendText`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-idempotency-key": key },
        body: JSON.stringify({ chatGuid: DEMO_GROUP, text: `once ${key}` }),
      });
    const first = (await (await send()).json()) as { message: { guid: string } };
    const second = (await (await send()).json()) as { message: { guid: string } };
    expect(second.message.guid).toBe(first.message.guid);
    const state = await sim.state();
    expect(state.messages.filter((m) => m.content.text === `once ${key}`)).toHaveLength(1);
    const entries = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => r.headers["x-idempotency-key"] === key);
    expect(entries.map((e) => e.idempotentReplay ?? false)).toEqual([false, true]);
  });

  it("a 429 with Retry-After is retried by the client with the same idempotency key", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 429, retryAfter: 1, times: 1 });
    const started = Date.now();
    const text = `after rate limit ${crypto.randomUUID()}`;
    const message = await client(own, { retry: { maxAttempts: 3, initialDelay: 10, maxDelay: 50 } }).messages.sendText(DEMO_GROUP, text);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(message.content.text).toBe(text);
    const attempts = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => r.headers.authorization === `Bearer ${own}`);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(attempts[0]?.faulted).toBe(true);
    expect(attempts[1]?.headers["x-idempotency-key"]).toBe(attempts[0]?.headers["x-idempotency-key"]);
    expect((await sim.state()).messages.filter((m) => m.content.text === text)).toHaveLength(1);
  });

  it("a 429 without retry configured surfaces as RateLimitError with retryAfter", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 429, retryAfter: 2 });
    const error = await rejection(client(own).messages.sendText(DEMO_GROUP, "limited"));
    expect(error.name).toBe("RateLimitError");
    expect(error).toMatchObject({ retryable: true, retryAfter: 2000, grpcCode: 8 });
  });

  it("a 500 burst is not retried (internal errors are not retryable) unless marked retryable", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 500, times: 1 });
    const retrying = client(own, { retry: { maxAttempts: 4, initialDelay: 5, maxDelay: 20 } });
    const error = await rejection(retrying.messages.sendText(DEMO_GROUP, "burst"));
    expect(error).toMatchObject({ code: "internalError", grpcCode: 13, retryable: false });
    const marked = `burst ${crypto.randomUUID()}`;
    await sim.fault({ match: "/v1/messages:sendText", token: own, status: 500, times: 2, retryable: true });
    expect((await retrying.messages.sendText(DEMO_GROUP, marked)).content.text).toBe(marked);
    const statuses = (await sim.requests({ path: "/v1/messages:sendText" }))
      .filter((r) => r.headers.authorization === `Bearer ${own}`)
      .map((r) => r.status);
    expect(statuses).toEqual([500, 500, 500, 200]);
  });

  it("a 503 burst is retried until it clears", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/chats:get", token: own, status: 503, times: 2 });
    const chat = await client(own, { retry: { maxAttempts: 3, initialDelay: 5, maxDelay: 20 } }).chats.get(DEMO_GROUP);
    expect(chat.guid).toBe(DEMO_GROUP);
  });

  it("a delay longer than the client's timeout is a ConnectionError with code timeout", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/chats:get", token: own, delayMs: 1_500 });
    const error = await rejection(client(own, { timeout: 300 }).chats.get(DEMO_GROUP));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe("timeout");
  });

  it("a dropped connection is a ConnectionError with code networkError", async () => {
    const own = (await issueToken()).token as string;
    await sim.fault({ match: "/v1/messages:sendText", token: own, drop: true });
    const error = await rejection(client(own).messages.sendText(DEMO_GROUP, "into the void"));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe("networkError");
    const [entry] = (await sim.requests({ path: "/v1/messages:sendText" })).filter((r) => r.headers.authorization === `Bearer ${own}`);
    expect(entry).toMatchObject({ dropped: true, status: 0 });
  });
});

describe("webhook deliverer", () => {
  it("signs like Spectrum (known vector)", async () => {
    expect(await signSpectrumWebhook("whsec_test", 1763658245, '{"a":1}')).toBe(
      "v0=27316fa37792559ed5afae7e9e914a35d6e7d51d10c526cd287d8619c8bf628a",
    );
  });

  it("builds envelopes shaped like the fixtures", () => {
    const envelope = buildEnvelope({ chatGuid: "any;-;+15551234567", sender: "+15551234567", text: "hey", messageId: "m1", timestamp: "2026-11-20T17:04:05.123Z" });
    expect(envelope).toEqual({
      event: "messages",
      space: { id: "any;-;+15551234567", platform: "imessage", type: "dm", phone: "shared" },
      message: {
        id: "m1",
        platform: "imessage",
        direction: "inbound",
        timestamp: "2026-11-20T17:04:05.123Z",
        sender: { id: "+15551234567", platform: "imessage" },
        space: { id: "any;-;+15551234567", platform: "imessage", type: "dm", phone: "shared" },
        content: { type: "text", text: "hey" },
      },
    });
    expect(buildEnvelope({ chatGuid: DEMO_GROUP, sender: "a@b.c", content: { type: "reaction", emoji: "❤️", target: { id: "x" } } }).space?.type).toBe("group");
  });

  it("delivers signed bodies that @spectrum-ts/core verifies, logs them and stores the inbound message", async () => {
    const envelope = buildEnvelope({ chatGuid: "any;-;+15551234567", sender: "+15551234567", text: "ping from a human" });
    const result = await sim.deliver({ url: `${SIM_URL}/__sim/echo`, secret: "whsec_test", envelope, webhookId: `wh_${crypto.randomUUID()}` });
    expect(result.status).toBe(200);
    const echoed = JSON.parse(result.body) as { headers: Record<string, string>; body: string };
    expect(echoed.body).toBe(JSON.stringify(envelope));
    expect(echoed.headers).toMatchObject({
      "x-spectrum-event": "messages",
      "x-spectrum-webhook-id": result.webhookId,
      "x-spectrum-timestamp": String(result.timestamp),
      "user-agent": "spectrum-webhook/1.0",
      "content-type": "application/json",
    });
    const verdict = await verifySpectrumSignature({ headers: echoed.headers, rawBody: new TextEncoder().encode(echoed.body), secret: "whsec_test" });
    expect(verdict).toMatchObject({ ok: true });

    expect((await sim.deliveries()).some((d) => d.webhookId === result.webhookId && d.status === 200)).toBe(true);
    const events = await sim.events();
    expect(events.some((e) => e.type === "webhook.delivered" && e.delivery.webhookId === result.webhookId)).toBe(true);

    const messageId = envelope.message?.id ?? "";
    const inbound = await client(token).messages.get(messageId);
    expect(inbound).toMatchObject({ isFromMe: false, sender: { address: "+15551234567" }, content: { text: "ping from a human" } });
    const tapback = await client(token).messages.setReaction("any;-;+15551234567", messageId, { kind: "laugh" }, true);
    expect(tapback.reactionTargetGuid).toBe(messageId);
  });

  it("reports an unreachable endpoint as status 0", async () => {
    const result = await sim.deliver({ url: "http://127.0.0.1:1/webhook", secret: "s", envelope: "{}" });
    expect(result.status).toBe(0);
  });
});

describe("the request handler without node:http", () => {
  it("runs inside workerd and resets to the seeded world", async () => {
    const local = createSimulator();
    const call = (path: string, init: RequestInit = {}): Promise<Response> =>
      local.fetch(new Request(`http://sim${path}`, { ...init, headers: { authorization: "Bearer sim_api_key", "content-type": "application/json", ...init.headers } }));
    const sent = await call("/v1/messages:sendText", { method: "POST", body: JSON.stringify({ chatGuid: DEMO_GROUP, text: "local" }) });
    expect(sent.status).toBe(200);
    expect(local.world().messages.size).toBe(1);
    expect(local.recorder.list()).toHaveLength(1);
    const reset = await local.fetch(new Request("http://sim/__sim/reset", { method: "POST" }));
    expect(reset.status).toBe(200);
    expect(local.world().messages.size).toBe(0);
    expect(local.recorder.list()).toHaveLength(0);
    expect(local.world().chats.has(DEMO_GROUP)).toBe(true);
    const unknownRoute = await call("/v1/messages:teleport", { method: "POST", body: "{}" });
    expect(unknownRoute.status).toBe(501);
  });
});
