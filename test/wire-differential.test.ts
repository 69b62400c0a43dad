/**
 * Differential test of the inbound parser: every corpus envelope (real Spectrum webhook shapes, built on
 * `fixtures/webhooks/*.json`) goes through OUR gate and parser (`parseDelivery` → `parseInbound`) and
 * through spectrum-ts 12.8's own webhook deserializer (`app.webhook` with the HTTP iMessage provider, the
 * oracle), and both readings are reduced to one comparable {@link View}.
 *
 * Text is compared as OURS builds it: a group's text parts joined with "\n" (empty parts dropped), a
 * reply's text is its body's; THEIRS is derived the same way from its content tree (group items are
 * Messages, a reply has `content` + `target`). Where the two differ on purpose, the entry says so.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Spectrum } from "spectrum-ts";
import { parseInbound } from "../src/adapter/inbound/parse.ts";
import { decodeThreadId } from "../src/core/thread-id.ts";
import { httpIMessage } from "../src/gateway/http-imessage-provider.ts";
import { RecordInbox } from "../src/gateway/spectrum-inbox.ts";
import { parseDelivery } from "../src/webhook/envelope.ts";
import { fixture, SECRET, signedRequest } from "./helpers.ts";

type Json = Record<string, unknown>;
interface AttachmentView {
  id: string;
  name: string | undefined;
  mimeType: string | undefined;
}

/** What a reading of one envelope says, in terms both parsers can be held to. */
interface View {
  /** "message" = a user message a bot handler sees; "reaction"; "not-a-message" = receipts and the like. */
  kind: "message" | "reaction" | "not-a-message";
  id: string;
  senderId: string | undefined;
  chatGuid: string;
  text?: string;
  attachments?: AttachmentView[];
  replyTo?: string | undefined;
  reactionTarget?: string;
  emoji?: string;
}

// ---------------------------------------------------------------- corpus

const base = (name: string): Json => JSON.parse(fixture(name)) as Json;
const GUID = "spc-msg-0b6f2d1e-4a51-4c39-9d0c-6f1f5d7a2e01"; // dm-text's message id, a common target
const photo = (id: string, name: string) => ({ type: "attachment", id, name, mimeType: "image/heic", size: 48_213 });

/** A fixture envelope with its content replaced and a message id of this entry's own. */
function on(fixtureName: string, suffix: string, content?: Json): string {
  const envelope = base(fixtureName);
  const message = envelope.message as Json;
  message.id = `${String(message.id)}-${suffix}`;
  if (content) message.content = content;
  return JSON.stringify(envelope);
}

interface Entry {
  name: string;
  body: string;
  /** What both readings must agree on (checked against each side separately). */
  expected: Partial<View>;
  /** A deliberate difference: how THEIR view departs from OURS, applied before comparing. */
  theirsDiffer?: { why: string; patch: Partial<View> };
}

const CORPUS: Entry[] = [
  { name: "plain text DM", body: on("dm-text", "dm"), expected: { kind: "message", text: "hey bot, what's up?" } },
  { name: "group text", body: on("group-text", "grp"), expected: { kind: "message", text: "@bot can you summarise this thread?" } },
  {
    name: "attachment",
    body: on("attachment", "att"),
    expected: { kind: "message", text: "", attachments: [{ id: "att-5f4e3d2c", name: "IMG_0042.HEIC", mimeType: "image/heic" }] },
  },
  {
    name: "voice",
    body: on("attachment", "voice", { type: "voice", id: "att-voice-1", name: "Audio Message.caf", mimeType: "audio/x-caf", duration: 3.2, size: 20_480 }),
    expected: { kind: "message", text: "", attachments: [{ id: "att-voice-1", name: "Audio Message.caf", mimeType: "audio/x-caf" }] },
  },
  {
    // Both read a rich link as its url (spectrum-ts 12.8 maps richlink → text{url}; ours adds a link preview too).
    name: "richlink",
    body: on("dm-text", "link", { type: "richlink", url: "https://photon.codes/spectrum" }),
    expected: { kind: "message", text: "https://photon.codes/spectrum", attachments: [] },
  },
  {
    name: "group of records: text + photo",
    body: on("dm-text", "grp-rec", {
      type: "group",
      items: [
        { id: "p:0/G-REC", content: { type: "text", text: "look at this" } },
        { id: "p:1/G-REC", content: photo("att-rec-1", "IMG_0001.HEIC") },
      ],
    }),
    expected: { kind: "message", text: "look at this", attachments: [{ id: "att-rec-1", name: "IMG_0001.HEIC", mimeType: "image/heic" }] },
  },
  {
    name: "group of records: two photos",
    body: on("dm-text", "album", {
      type: "group",
      items: [
        { id: "p:0/G-ALB", content: photo("att-alb-1", "IMG_0001.HEIC") },
        { id: "p:1/G-ALB", content: photo("att-alb-2", "IMG_0002.HEIC") },
      ],
    }),
    expected: {
      kind: "message",
      text: "",
      attachments: [
        { id: "att-alb-1", name: "IMG_0001.HEIC", mimeType: "image/heic" },
        { id: "att-alb-2", name: "IMG_0002.HEIC", mimeType: "image/heic" },
      ],
    },
  },
  {
    name: "group of bare contents: text + photo",
    body: on("dm-text", "grp-bare", { type: "group", items: [{ type: "text", text: "bare text" }, photo("att-bare-1", "IMG_0003.HEIC")] }),
    expected: { kind: "message", text: "bare text", attachments: [{ id: "att-bare-1", name: "IMG_0003.HEIC", mimeType: "image/heic" }] },
    theirsDiffer: {
      // spectrum-ts's buildItemRecord reads only `item.content`: a bare item becomes an id-less Message with
      // custom content. Ours reads both forms (catch-up/gateway paths bring bare contents, DESIGN §3a).
      why: "spectrum-ts reads group items only as records",
      patch: { text: "", attachments: [] },
    },
  },
  {
    name: "reply wrapping text",
    body: on("reply-text", "reply"),
    expected: { kind: "message", text: "yes, that one", attachments: [], replyTo: GUID },
  },
  {
    name: "reply wrapping a group of records",
    body: on("reply-text", "reply-grp", {
      type: "reply",
      content: {
        type: "group",
        items: [
          { id: "p:0/G-RPL", content: { type: "text", text: "this one?" } },
          { id: "p:1/G-RPL", content: photo("att-rpl-1", "IMG_0004.HEIC") },
        ],
      },
      target: { id: GUID, contentPreview: "Hello from iMessage!" },
    }),
    expected: { kind: "message", text: "this one?", attachments: [{ id: "att-rpl-1", name: "IMG_0004.HEIC", mimeType: "image/heic" }], replyTo: GUID },
  },
  { name: "tapback on a message", body: on("tapback-reaction", "tap"), expected: { kind: "reaction", reactionTarget: GUID, emoji: "❤️" } },
  {
    name: "tapback on a part",
    body: on("tapback-reaction", "tap-part", { type: "reaction", emoji: "👍", target: { id: `p:1/${GUID}`, sender: { id: "+15550009999" } } }),
    expected: { kind: "reaction", reactionTarget: `p:1/${GUID}`, emoji: "👍" },
  },
  {
    name: "read receipt",
    body: on("dm-text", "read", { type: "read", target: { id: "spc-msg-bot-outbound-1" } }),
    expected: { kind: "not-a-message" },
  },
  {
    name: "delivered receipt",
    body: on("dm-text", "delivered", { type: "delivered", target: { id: "spc-msg-bot-outbound-1" } }),
    expected: { kind: "not-a-message" },
  },
  {
    name: "members added to a group",
    body: on("group-member-added", "add", { type: "addMember", members: ["+15557654321", "new@example.com"] }),
    expected: { kind: "not-a-message" },
  },
  {
    name: "group renamed",
    body: on("group-text", "rename", { type: "rename", displayName: "Lunch crew" }),
    expected: { kind: "not-a-message" },
  },
  {
    name: "contact card, name as a string",
    body: on("dm-text", "contact-str", { type: "contact", name: "Grace Hopper", phones: ["+15550004343"] }),
    expected: { kind: "message", text: "Grace Hopper", attachments: [] },
  },
  {
    name: "contact card, structured name",
    body: on("dm-text", "contact", {
      type: "contact",
      name: { formatted: "Ada Lovelace", first: "Ada", last: "Lovelace" },
      phones: [{ value: "+15550004242", type: "mobile" }],
    }),
    expected: { kind: "message", text: "Ada Lovelace", attachments: [] },
  },
  {
    name: "unknown content type",
    body: on("dm-text", "holo", { type: "hologram", depth: 3 }),
    expected: { kind: "message", text: "", attachments: [] },
  },
  {
    name: "sender + space with phone (group on a dedicated line)",
    body: on("group-text", "phone", { type: "text", text: "on the dedicated line" }),
    expected: { kind: "message", text: "on the dedicated line", attachments: [] },
  },
];

// ---------------------------------------------------------------- our reading

const encoder = new TextEncoder();
const noFetch = async (): Promise<ArrayBuffer> => new ArrayBuffer(0);

function ourView(body: string): View & { phone?: string; rawContent?: unknown } {
  const delivery = parseDelivery(encoder.encode(body));
  const message = (JSON.parse(body) as { message: Json }).message;
  const common = { id: String(message.id), senderId: (message.sender as Json | undefined)?.id as string | undefined, chatGuid: String((message.space as Json).id) };
  if (delivery.kind !== "message") return { kind: "not-a-message", ...common };
  const event = parseInbound(delivery.envelope, { userName: "bot", fetchAttachment: noFetch });
  switch (event.kind) {
    case "message": {
      const { message: m, threadId, chatGuid } = event;
      const thread = decodeThreadId(threadId);
      expect(thread.chatGuid, "thread id names the chat").toBe(chatGuid);
      return {
        kind: "message",
        id: m.id,
        senderId: m.author.userId,
        chatGuid,
        text: m.text,
        attachments: m.attachments.map((a) => ({
          id: (a.fetchMetadata as { attachmentId: string }).attachmentId,
          name: a.name,
          mimeType: a.mimeType,
        })),
        replyTo: m.replyTo?.id,
        phone: thread.phone,
        rawContent: m.raw.content,
      };
    }
    case "reaction":
      return { kind: "reaction", ...common, senderId: event.user.userId, reactionTarget: event.messageId, emoji: event.rawEmoji };
    default:
      return { kind: "not-a-message", ...common };
  }
}

// ---------------------------------------------------------------- their reading

/** The oracle's Space and Message, read structurally (content is a tree of plain objects and Messages). */
interface Theirs {
  space: { id: string; phone?: string };
  message: { id: string; sender?: { id: string }; content: unknown };
}
let app: Awaited<ReturnType<typeof Spectrum>>;
let collected: Theirs[] = [];

/** Text parts and attachments of a spectrum-ts content tree (group items are Messages, replies wrap content). */
async function walk(content: Json, texts: string[], attachments: AttachmentView[]): Promise<string | undefined> {
  switch (content.type) {
    case "text":
      texts.push(String(content.text ?? ""));
      return undefined;
    case "attachment":
    case "voice":
      attachments.push({ id: String(content.id), name: content.name as string | undefined, mimeType: content.mimeType as string | undefined });
      return undefined;
    case "contact":
      texts.push(String((content.name as Json | undefined)?.formatted ?? ""));
      return undefined;
    case "group":
      for (const item of content.items as { content: Json }[]) await walk(await item.content, texts, attachments);
      return undefined;
    case "reply":
      await walk(await (content.content as Json), texts, attachments);
      return String((content.target as Json).id);
    default:
      return undefined;
  }
}

const NOT_MESSAGES = new Set(["read", "delivered", "addMember", "removeMember", "leaveSpace", "rename", "avatar"]);

async function theirView({ space, message }: Theirs): Promise<View & { phone?: string; contentType: string; raw?: unknown }> {
  const content = (await message.content) as Json;
  const common = { id: String(message.id), senderId: message.sender?.id as string | undefined, chatGuid: String(space.id), phone: space.phone };
  const type = String(content.type);
  if (type === "reaction") {
    return { kind: "reaction", ...common, contentType: type, reactionTarget: String((content.target as Json).id), emoji: String(content.emoji) };
  }
  // Receipts and conversation events are no user message on either side (spectrum-ts keeps an unmapped
  // `delivered` as custom content carrying the raw type).
  const rawType = type === "custom" ? String((content.raw as Json | undefined)?.type) : type;
  if (NOT_MESSAGES.has(rawType)) return { kind: "not-a-message", ...common, contentType: type };
  const texts: string[] = [];
  const attachments: AttachmentView[] = [];
  const replyTo = await walk(content, texts, attachments);
  return { kind: "message", ...common, contentType: type, text: texts.filter(Boolean).join("\n"), attachments, replyTo, raw: content.raw };
}

async function deliverToOracle(body: string): Promise<Theirs> {
  collected = [];
  const response = (await app.webhook(await signedRequest(body), (space, message) => {
    collected.push({ space, message } as unknown as Theirs);
  })) as Response;
  expect(response.status, await response.clone().text()).toBe(200);
  // spectrum-ts answers 200 first and runs the handler afterwards.
  await vi.waitFor(() => expect(collected).toHaveLength(1), { timeout: 5_000, interval: 10 });
  return collected[0] as Theirs;
}

// ---------------------------------------------------------------- the comparison

const pick = (view: View, keys: (keyof View)[]): Partial<View> => Object.fromEntries(keys.map((k) => [k, view[k]]));

describe("inbound parser vs spectrum-ts's webhook deserializer", () => {
  beforeAll(async () => {
    app = await Spectrum({ providers: [httpIMessage.config({ inbox: new RecordInbox() })], webhookSecret: SECRET });
  });
  afterAll(async () => {
    await (app as { stop?: () => Promise<void> } | undefined)?.stop?.();
  });

  for (const entry of CORPUS) {
    it(entry.name, async () => {
      const ours = ourView(entry.body);
      const theirs = await theirView(await deliverToOracle(entry.body));
      const envelope = JSON.parse(entry.body) as { message: { id: string; sender?: { id: string }; space: { id: string; phone?: string } } };

      // Identity: message id, sender, chat GUID — the envelope's, on both sides, whatever the content.
      const identity = { id: envelope.message.id, senderId: envelope.message.sender?.id, chatGuid: envelope.message.space.id };
      expect(pick(ours, ["id", "senderId", "chatGuid"]), "ours: identity").toEqual(identity);
      expect(pick(theirs, ["id", "senderId", "chatGuid"]), "theirs: identity").toEqual(identity);

      const keys = Object.keys(entry.expected) as (keyof View)[];
      // The oracle first: for a known bug, only OUR side may fail.
      const theirsExpected = { ...entry.expected, ...entry.theirsDiffer?.patch };
      expect(pick(theirs, keys), `theirs vs expected${entry.theirsDiffer ? ` (${entry.theirsDiffer.why})` : ""}`).toEqual(theirsExpected);
      expect(pick(ours, keys), "ours vs expected").toEqual(entry.expected);
      if (!entry.theirsDiffer) expect(pick(ours, keys), "ours vs theirs").toEqual(pick(theirs, keys));

      // The routing line: ours encodes a dedicated line into the thread id ("shared" = the shared line, left out).
      const phone = envelope.message.space.phone;
      if (ours.kind === "message") expect(ours.phone, "ours: the thread id keeps the space's line").toBe(phone === "shared" ? undefined : phone);
      expect(theirs.phone, "theirs: the space keeps its phone").toBe(phone);
    });
  }

  it("unknown content: theirs is custom, ours keeps the raw content", async () => {
    const body = CORPUS.find((e) => e.name === "unknown content type")!.body;
    const ours = ourView(body);
    const theirs = await theirView(await deliverToOracle(body));
    expect(theirs.contentType).toBe("custom");
    expect(theirs.raw).toEqual({ type: "hologram", depth: 3 });
    expect(ours.rawContent).toEqual({ type: "hologram", depth: 3 });
  });

  it("group of bare contents: theirs turns each item into custom content", async () => {
    const body = CORPUS.find((e) => e.name === "group of bare contents: text + photo")!.body;
    const { message } = await deliverToOracle(body);
    const items = ((await message.content) as { items: { content: Json }[] }).items;
    expect(items.map((item) => item.content.type)).toEqual(["custom", "custom"]);
  });

  it("a Standard message.received wrapper reads as the normalized envelope it carries", async () => {
    for (const name of ["group of records: text + photo", "reply wrapping a group of records", "tapback on a part"]) {
      const inner = CORPUS.find((e) => e.name === name)!.body;
      const wrapped = JSON.stringify({
        type: "message.received",
        schemaVersion: 1,
        eventId: `evt_${name.length}`,
        platform: "imessage",
        projectId: "proj_test",
        prevSubjectSeq: 0,
        request: { method: "POST", path: "/", headers: { "content-type": "application/json" }, bodyEncoding: "json", body: JSON.parse(inner) },
      });
      const delivery = parseDelivery(encoder.encode(wrapped));
      expect(delivery.kind, name).toBe("message");
      if (delivery.kind === "message") expect(delivery.envelope).toEqual(JSON.parse(inner));
      const theirs = await theirView(await deliverToOracle(inner));
      const ours = ourView(inner);
      expect(pick(ours, ["id", "senderId", "chatGuid", "text", "attachments", "replyTo", "reactionTarget"])).toEqual(
        pick(theirs, ["id", "senderId", "chatGuid", "text", "attachments", "replyTo", "reactionTarget"]),
      );
    }
  });

  it("read receipt: theirs is a read content, ours runs no message handler", async () => {
    const body = CORPUS.find((e) => e.name === "read receipt")!.body;
    expect((await theirView(await deliverToOracle(body))).contentType).toBe("read");
    const delivery = parseDelivery(encoder.encode(body));
    if (delivery.kind === "message") {
      const event = parseInbound(delivery.envelope, { userName: "bot", fetchAttachment: noFetch });
      expect(event).toMatchObject({ kind: "space-event", event: { type: "read", messageId: "spc-msg-bot-outbound-1" } });
    }
  });
});
