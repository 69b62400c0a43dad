/**
 * @module The advanced-imessage HTTP middleware's `/v1` routes, as `createHttpClient` speaks them.
 *
 * Request bodies are the proto3 JSON of the SDK's request messages (fields at
 * their default value are omitted: `isTyping: false`, `isSet: false` and the
 * `love` reaction kind never appear); GET calls carry the same fields as query
 * parameters. Answers are proto3 JSON with `content-type: application/json`
 * (the client treats a response without a content type as a stream).
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { SimError, invalidArgument } from "./errors.ts";
import { imessageExtraRoutes } from "./imessage-extras.ts";
import { World } from "./world.ts";
import type { SimChat, SimMessage } from "./world.ts";
import type { SimulatorEvents } from "./events.ts";
import { bool, decodePageToken, encodePageToken, formatting, json, obj, pageSize, reactionKind, readBody, requiredText, server, str, time, type Json } from "./request-fields.ts";

/** What the routes work on. */
export interface IMessageDeps {
  world: () => World;
  events: SimulatorEvents;
}

/** The chat + message a `MessageTarget` (`{ chatGuid, messageGuid, targetPartIndex? }`) points at. */
function target(world: World, body: Json): { chat: SimChat; message: SimMessage; partIndex?: number } {
  const value = obj(body, "target");
  if (!value) throw invalidArgument("target", "target is required");
  const chat = world.chat(value.chatGuid, "target.chatGuid");
  const message = world.message(value.messageGuid, chat.guid);
  const partIndex = typeof value.targetPartIndex === "number" ? value.targetPartIndex : undefined;
  return { chat, message, partIndex };
}

/** The `replyTo` target's guid, checked to exist in the chat. */
function replyTarget(world: World, body: Json, chat: SimChat): SimMessage | undefined {
  const replyTo = obj(body, "replyTo");
  if (!replyTo) return undefined;
  return world.message(replyTo.messageGuid, chat.guid);
}

function threadFields(reply: SimMessage | undefined): Partial<SimMessage> {
  if (!reply) return {};
  return { replyTargetGuid: reply.guid, threadOriginatorGuid: reply.threadOriginatorGuid ?? reply.guid };
}


/** One page of the filtered listing, newest first, with a cursor to the next page. */
function listPage(c: Context, world: World, chatGuid?: string): Response {
  const q = (name: string): string | undefined => c.req.query(name);
  const size = pageSize(q("pageSize"));
  let beforeRowid: number | undefined;
  try {
    beforeRowid = decodePageToken(q("pageToken"));
  } catch (error) {
    if (error instanceof SimError) throw error;
    throw invalidArgument("pageToken", "pageToken is not one this server issued");
  }
  const matches = world.list({
    chatGuid,
    isFromMe: bool(q("isFromMe"), "isFromMe"),
    isRead: bool(q("isRead"), "isRead"),
    before: time(q("before"), "before"),
    after: time(q("after"), "after"),
    beforeRowid,
  });
  const page = matches.slice(0, size);
  const last = page[page.length - 1];
  return json({
    messages: page.map((m) => world.messageJson(m)),
    ...(matches.length > size && last ? { nextPageToken: encodePageToken(last.rowid) } : {}),
  });
}


/** Routes of the iMessage HTTP middleware. */
export function imessageRoutes(deps: IMessageDeps): Hono {
  const app = new Hono();
  const { events } = deps;

  const sent = (c: Context, message: SimMessage, type: "message.sent" | "message.edited" = "message.sent"): Response => {
    const wire = deps.world().messageJson(message);
    events.emit({ type, chatGuid: message.chatGuid, message: wire, server: server(c) });
    return json({ message: wire });
  };

  /** Stores an outgoing message (or finds the earlier one with the same `clientMessageId`) and answers `{ message }`. */
  const send = (c: Context, world: World, chat: SimChat, body: Json, content: Partial<SimMessage>): Response => {
    const earlier = world.byClientMessageId(chat.guid, body.clientMessageId);
    if (earlier) return json({ message: world.messageJson(earlier) });
    const message = world.addMessage({
      chatGuid: chat.guid,
      isFromMe: true,
      subject: str(body, "subject"),
      effectId: str(body, "effectId"),
      clientMessageId: str(body, "clientMessageId"),
      server: server(c),
      ...threadFields(replyTarget(world, body, chat)),
      ...content,
    });
    return sent(c, message);
  };

  app.post("/v1/messages:sendText", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const chat = world.chat(body.chatGuid);
    return send(c, world, chat, body, { text: requiredText(body, "text"), formatting: formatting(body) });
  });

  app.post("/v1/messages:sendAttachment", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const chat = world.chat(body.chatGuid);
    const ref = obj(body, "attachment");
    if (!ref) throw invalidArgument("attachment", "attachment is required");
    const attachment = world.attachment(ref.attachmentGuid);
    return send(c, world, chat, body, { attachmentGuids: [attachment.guid], isAudioMessage: body.isAudioMessage === true });
  });

  app.post("/v1/messages:sendMultipart", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const chat = world.chat(body.chatGuid);
    const parts = body.parts;
    if (!Array.isArray(parts) || parts.length === 0) throw invalidArgument("parts", "parts must not be empty");
    let text = "";
    const attachmentGuids: string[] = [];
    const mentions: SimMessage["mentions"] = [];
    parts.forEach((part: Json, index: number) => {
      const attachmentRef = obj(part, "attachment");
      if (attachmentRef) {
        attachmentGuids.push(world.attachment(attachmentRef.attachmentGuid).guid);
        return;
      }
      if (typeof part.text !== "string" || part.text === "") throw invalidArgument(`parts[${index}]`, "each part needs text or an attachment");
      if (typeof part.mentionedAddress === "string") mentions.push({ address: part.mentionedAddress, start: text.length, length: part.text.length });
      text += part.text;
    });
    return send(c, world, chat, body, { ...(text !== "" ? { text } : {}), attachmentGuids, mentions, partCount: parts.length });
  });

  app.post("/v1/messages:edit", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const { message } = target(world, body);
    const newText = requiredText(body, "newText");
    // The same `clientMessageId` again (a retried handler): the first answer, the message not edited again.
    const key = str(body, "clientMessageId");
    const earlier = key === undefined ? undefined : world.answered.get(`edit:${key}`);
    if (earlier) return json(earlier);
    const response = sent(c, world.edit(message, newText), "message.edited");
    if (key !== undefined) world.answered.set(`edit:${key}`, { message: world.messageJson(message) });
    return response;
  });

  app.post("/v1/messages:unsend", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const { chat, message } = target(world, body);
    const key = str(body, "clientMessageId");
    if (key !== undefined && world.answered.has(`unsend:${key}`)) return json({});
    world.unsend(message);
    if (key !== undefined) world.answered.set(`unsend:${key}`, {});
    events.emit({ type: "message.unsent", chatGuid: chat.guid, messageGuid: message.guid, server: server(c) });
    return json({});
  });

  app.post("/v1/messages:setReaction", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const { chat, message, partIndex } = target(world, body);
    // The same `clientMessageId` again (a retried handler): the first answer, no second tapback.
    const earlier = world.byClientMessageId(chat.guid, body.clientMessageId);
    if (earlier) return json({ message: world.messageJson(earlier) });
    const reactionBody = obj(body, "reaction") ?? {};
    const kind = reactionKind(reactionBody.kind);
    const emoji = typeof reactionBody.emoji === "string" ? reactionBody.emoji : undefined;
    if (kind === "MESSAGE_REACTION_KIND_EMOJI" && !emoji) throw invalidArgument("reaction.emoji", "an emoji reaction needs `emoji`");
    const isSet = body.isSet === true;
    for (const earlier of world.messages.values()) {
      if (earlier.reactionTargetGuid === message.guid && earlier.isFromMe && earlier.reactionSelected) earlier.reactionSelected = false;
    }
    const reaction = world.addMessage({
      chatGuid: chat.guid,
      isFromMe: true,
      reaction: { kind, ...(emoji ? { emoji } : {}) },
      reactionTargetGuid: message.guid,
      reactionTargetPartIndex: partIndex,
      reactionSelected: isSet,
      clientMessageId: str(body, "clientMessageId"),
      server: server(c),
    });
    events.emit({ type: "reaction.set", chatGuid: chat.guid, targetGuid: message.guid, kind, emoji, isSet, server: server(c) });
    return json({ message: world.messageJson(reaction) });
  });

  app.get("/v1/messages:listByChat", (c) => {
    const world = deps.world();
    const chat = world.chat(c.req.query("chatGuid"));
    return listPage(c, world, chat.guid);
  });

  app.get("/v1/messages:listRecent", (c) => listPage(c, deps.world()));

  app.get("/v1/messages/:messageGuid", (c) => {
    const world = deps.world();
    return json({ message: world.messageJson(world.message(c.req.param("messageGuid"))) });
  });

  app.post("/v1/chats", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const addresses = body.addresses;
    if (!Array.isArray(addresses) || addresses.length === 0 || addresses.some((a) => typeof a !== "string" || a.trim() === "")) {
      throw invalidArgument("addresses", "addresses must be a non-empty array of phone numbers or emails");
    }
    const trimmed = addresses.map((a: string) => a.trim());
    const existing = trimmed.length === 1 ? world.chats.get(`any;-;${trimmed[0]}`) : undefined;
    const chat =
      existing ??
      world.addChat(trimmed.length === 1 ? `any;-;${trimmed[0]}` : `any;+;chat${crypto.getRandomValues(new Uint32Array(2)).join("")}`, trimmed);
    if (!existing) events.emit({ type: "chat.created", chat: world.chatJson(chat), server: server(c) });
    const initial = obj(body, "initialMessage");
    let initialMessage: SimMessage | undefined;
    if (initial) {
      const earlier = world.byClientMessageId(chat.guid, body.clientMessageId);
      initialMessage =
        earlier ??
        world.addMessage({
          chatGuid: chat.guid,
          isFromMe: true,
          text: requiredText(initial, "text"),
          subject: str(initial, "subject"),
          effectId: str(initial, "effectId"),
          clientMessageId: str(body, "clientMessageId"),
          server: server(c),
        });
      if (!earlier) events.emit({ type: "message.sent", chatGuid: chat.guid, message: world.messageJson(initialMessage), server: server(c) });
    }
    return json({ chat: world.chatJson(chat), ...(initialMessage ? { initialMessage: world.messageJson(initialMessage) } : {}) });
  });

  app.get("/v1/chats:get", (c) => {
    const world = deps.world();
    return json({ chat: world.chatJson(world.chat(c.req.query("chatGuid"))) });
  });

  app.get("/v1/chats:count", (c) => json({ count: String(deps.world().chats.size) }));

  app.post("/v1/chats:setTyping", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const chat = world.chat(body.chatGuid);
    const isTyping = body.isTyping === true;
    world.typing.set(chat.guid, isTyping);
    events.emit({ type: "typing", chatGuid: chat.guid, isTyping, server: server(c) });
    return json({});
  });

  app.post("/v1/chats:markRead", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const chat = world.chat(body.chatGuid);
    world.markRead(chat);
    events.emit({ type: "chat.read", chatGuid: chat.guid, server: server(c) });
    return json({});
  });

  app.post("/v1/attachments:upload", async (c) => {
    const world = deps.world();
    const fileName = c.req.query("fileName");
    if (!fileName) throw invalidArgument("fileName", "fileName query parameter is required");
    const contentType = c.req.header("content-type") ?? "";
    let bytes: Uint8Array;
    let companion: Uint8Array | undefined;
    if (contentType.startsWith("multipart/form-data")) {
      const form = await c.req.formData();
      const file = form.get("file");
      const companionFile = form.get("companion");
      if (!file || typeof file === "string") throw invalidArgument("file", "multipart upload needs a `file` part");
      bytes = new Uint8Array(await file.arrayBuffer());
      if (companionFile && typeof companionFile !== "string") companion = new Uint8Array(await companionFile.arrayBuffer());
    } else {
      bytes = new Uint8Array(await c.req.arrayBuffer());
    }
    if (bytes.byteLength === 0) throw invalidArgument("data", "attachment data must not be empty");
    const attachment = world.addAttachment({ fileName, bytes, isOutgoing: true });
    const companionName = fileName.replace(/\.[^.]+$/, "") + ".mov";
    if (companion) attachment.companion = { bytes: companion, fileName: companionName, mimeType: "video/quicktime" };
    const wire = world.attachmentJson(attachment);
    events.emit({ type: "attachment.uploaded", attachment: wire, server: server(c) });
    return json({
      attachment: wire,
      ...(companion
        ? { companion: { fileName: companionName, mimeType: "video/quicktime", totalBytes: String(companion.byteLength), kind: "COMPANION_KIND_LIVE_PHOTO_VIDEO" } }
        : {}),
    });
  });

  app.get("/v1/attachments/:attachmentGuid", (c) => {
    const world = deps.world();
    return json({ attachment: world.attachmentJson(world.attachment(c.req.param("attachmentGuid"))) });
  });

  app.get("/v1/attachments/:attachmentGuid/data", (c) => {
    const attachment = deps.world().attachment(c.req.param("attachmentGuid"));
    return new Response(new Uint8Array(attachment.bytes), {
      headers: {
        "content-type": attachment.mimeType,
        "content-length": String(attachment.bytes.byteLength),
        "content-disposition": `attachment; filename="${attachment.fileName}"`,
      },
    });
  });

  app.get("/v1/attachments/:attachmentGuid/companion", (c) => {
    const attachment = deps.world().attachment(c.req.param("attachmentGuid"));
    if (!attachment.companion) {
      throw new SimError("not_found", "attachmentNotFound", `attachment ${attachment.guid} has no companion`, { context: { attachmentGuid: attachment.guid } });
    }
    return new Response(new Uint8Array(attachment.companion.bytes), {
      headers: {
        "content-type": attachment.companion.mimeType,
        "content-disposition": `attachment; filename="${attachment.companion.fileName}"`,
        "x-companion-kind": "1",
        "x-companion-total-bytes": String(attachment.companion.bytes.byteLength),
      },
    });
  });

  app.post("/v1/polls", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const chat = world.chat(body.chatGuid);
    const title = requiredText(body, "title");
    const options = body.options;
    if (!Array.isArray(options) || options.length < 2 || options.some((o) => typeof o !== "string" || o.trim() === "")) {
      throw invalidArgument("options", "a poll needs at least two non-empty options");
    }
    const earlier = world.byClientMessageId(chat.guid, body.clientMessageId);
    const existing = earlier ? world.polls.get(earlier.guid) : undefined;
    if (existing) return json({ poll: world.pollJson(existing) });
    const poll = world.createPoll(chat, title, options as string[], str(body, "clientMessageId"), server(c));
    const wire = world.pollJson(poll);
    events.emit({ type: "poll.created", chatGuid: chat.guid, poll: wire, server: server(c) });
    return json({ poll: wire });
  });

  app.get("/v1/polls/:pollMessageGuid", (c) => {
    const world = deps.world();
    return json({ poll: world.pollJson(world.poll(c.req.param("pollMessageGuid"))) });
  });

  app.post("/v1/polls:vote", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const poll = world.poll(body.pollMessageGuid);
    const optionIdentifier = requiredText(body, "optionIdentifier");
    if (!poll.options.some((o) => o.optionIdentifier === optionIdentifier)) {
      throw invalidArgument("optionIdentifier", `poll ${poll.pollMessageGuid} has no option ${optionIdentifier}`);
    }
    poll.votes.set(world.selfAddress, optionIdentifier);
    const wire = world.pollJson(poll);
    events.emit({ type: "poll.voted", chatGuid: poll.chatGuid, poll: wire, optionIdentifier, server: server(c) });
    return json({ poll: wire });
  });

  app.post("/v1/polls:unvote", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const poll = world.poll(body.pollMessageGuid);
    poll.votes.delete(world.selfAddress);
    const wire = world.pollJson(poll);
    events.emit({ type: "poll.unvoted", chatGuid: poll.chatGuid, poll: wire, server: server(c) });
    return json({ poll: wire });
  });

  app.post("/v1/polls:addOption", async (c) => {
    const world = deps.world();
    const body = await readBody(c);
    const poll = world.poll(body.pollMessageGuid);
    const text = requiredText(body, "optionText");
    poll.options.push({ text, optionIdentifier: crypto.randomUUID(), creatorHandle: world.selfAddress });
    return json({ poll: world.pollJson(poll) });
  });

  app.route("/", imessageExtraRoutes(deps));
  return app;
}
