/**
 * The Spectrum simulator, driven from workerd by the real `createHttpClient`: Spectrum Cloud's token endpoints and the iMessage HTTP API.
 *
 * Suites may share the simulator concurrently: these tests use their own
 * project, their own tokens (faults are scoped to them) and `since` marks,
 * never a global reset.
 */
import {
  AuthenticationError,
  NotFoundError,
  ValidationError,
} from "@photon-ai/advanced-imessage/http";
import { beforeAll, describe, expect, it } from "vitest";
import { basic, client, cloud, DEMO_GROUP, issueToken, PROJECT, rejection, sim, SIM_URL, suiteToken } from "./simulator-suite.ts";

let token = "";

beforeAll(async () => {
  token = await suiteToken();
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
