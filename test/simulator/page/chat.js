// The chat page: sends what you type as signed webhook deliveries (POST /__sim/deliver) and renders
// what the bot does from the simulator's event stream (GET /__sim/events). No build step.
// Everything shown comes from that stream (replayed from the start on load), so a reload shows the
// same page: transcript, deliveries with their text, and "Resend last delivery".
import { contentSummary, deliver as post, deliveryKind, envelope, photoContent, photoPicker, tapbackMenu, uploadPhoto } from "./compose.js";
import { colourEmoji, emoji, TAPBACKS } from "./emoji.js";
import { chatHint, groupSubtitle } from "./hints.js";
import { startTyping, stopTyping as stopTypingAfterMinimum } from "./typing.js";

const $ = (id) => document.getElementById(id);
const config = await (await fetch("/chat/config.json")).json();

/** chat GUID → { guid, title, subtitle, items: [], byGuid: Map, typing, unread } */
const chats = new Map();
let active;
/** The bot message whose tapback picker is open. */
let menuFor;
let lastSeq = 0;
/** The newest delivery in the panel (whoever sent it), for "Resend last delivery". */
let lastDelivery;
const seenWebhookIds = new Set();

function contactName(address) {
  return config.contacts.find((c) => c.address === address)?.name ?? address;
}

/** A conversation's title: the contact's name for a DM, "Demo group" or the GUID for a group. */
function titleFor(guid) {
  if (guid.startsWith("any;-;")) return contactName(guid.slice("any;-;".length));
  return guid === config.groupGuid ? "Demo group" : guid;
}

function chat(guid, title = titleFor(guid), subtitle = guid.startsWith("any;-;") ? guid.slice("any;-;".length) : "") {
  let found = chats.get(guid);
  if (!found) {
    found = { guid, title, subtitle, items: [], byGuid: new Map(), typing: false, unread: false };
    chats.set(guid, found);
    renderList();
  }
  return found;
}

for (const contact of config.contacts) chat(`any;-;${contact.address}`, contact.name, contact.address);
chat(config.groupGuid, "Demo group", groupSubtitle(config));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function senderFor(guid) {
  return guid.startsWith("any;-;") ? guid.slice("any;-;".length) : $("send-as").value;
}

// ── rendering ────────────────────────────────────────────────────────────────

function renderList() {
  const list = $("conversation-list");
  list.replaceChildren(
    ...[...chats.values()].map((c) => {
      const item = el("li", `conversation${c.guid === active ? " active" : ""}${c.unread ? " unread" : ""}`, c.title);
      item.dataset.guid = c.guid;
      item.append(el("small", "", c.subtitle));
      item.addEventListener("click", () => select(c.guid));
      return item;
    }),
  );
}

function renderItem(item) {
  if (item.kind === "system") return el("li", "system", item.text);
  if (item.kind === "poll") {
    const node = el("li", "poll");
    node.dataset.guid = item.guid;
    node.append(el("strong", "", colourEmoji ? `📊 ${item.title}` : `Poll: ${item.title}`));
    for (const option of item.options) {
      const button = el("button", `option${item.voted === option.text ? " voted" : ""}`, option.text);
      button.type = "button";
      button.dataset.title = option.text;
      button.addEventListener("click", () => vote(item, option));
      node.append(button);
    }
    return node;
  }
  const node = el("li", `bubble ${item.side}${item.unsent ? " unsent" : ""}${item.tapbacks.size ? " has-tapback" : ""}`);
  node.dataset.guid = item.guid;
  if (item.side === "me" && active.startsWith("any;+;")) node.append(el("span", "sender", contactName(item.sender)));
  for (const file of item.unsent ? [] : item.attachments) node.append(attachmentNode(file));
  node.append(document.createTextNode(item.unsent ? "message unsent" : item.text));
  if (item.edited) node.append(el("span", "edited", "Edited"));
  if (item.tapbacks.size) node.append(el("span", "tapback", [...item.tapbacks].map(emoji).join(" ")));
  if (item.side === "bot" && !item.unsent) {
    node.title = "Click to send a tapback";
    node.addEventListener("click", () => {
      menuFor = menuFor === item.guid ? undefined : item.guid;
      renderChat();
    });
  }
  return node;
}

/** A photo as a thumbnail served by the simulator; any other file by its name. */
function attachmentNode(file) {
  if (!file.mimeType?.startsWith("image/")) return el("span", "file", `📎 ${file.fileName}`);
  const image = el("img", "photo");
  image.src = `/__sim/attachments/${encodeURIComponent(file.guid)}`;
  image.alt = image.title = file.fileName;
  return image;
}

/** Delivers a tapback from the conversation's contact on a bot message. */
function react(target, symbol) {
  menuFor = undefined;
  renderChat();
  const content = { type: "reaction", emoji: symbol, target: { id: target.guid, contentPreview: target.text } };
  return deliver(JSON.stringify(envelope(active, senderFor(active), content, `page-${crypto.randomUUID()}`)));
}

function renderChat() {
  const current = chats.get(active);
  $("chat-title").textContent = current.title;
  const isGroup = active.startsWith("any;+;");
  $("send-as-label").hidden = !isGroup;
  const answered = current.items.some((item) => item.side === "bot" || item.kind === "poll");
  $("chat-hint").textContent = chatHint(config, { isGroup, answered, emoji });
  const transcript = $("transcript");
  const nodes = current.items.flatMap((item) => {
    const node = renderItem(item);
    if (item.guid !== menuFor || item.side !== "bot") return [node];
    return [node, tapbackMenu(emoji, (symbol) => react(item, symbol).catch((error) => addItem(active, { kind: "system", text: `not sent: ${error.message}` })))];
  });
  if (current.typing) {
    const typing = el("li", "typing-indicator");
    typing.append(el("span", "", "•"), el("span", "", "•"), el("span", "", "•"));
    nodes.push(typing);
  }
  transcript.replaceChildren(...nodes);
  transcript.scrollTop = transcript.scrollHeight;
}

function changed(guid) {
  if (guid === active) renderChat();
  else {
    chat(guid).unread = true;
    renderList();
  }
}

function select(guid) {
  active = guid;
  chat(guid).unread = false;
  renderList();
  renderChat();
  $("message-input").focus();
}

function addItem(guid, item) {
  const current = chat(guid);
  if (item.guid && current.byGuid.has(item.guid)) return;
  current.items.push(item);
  if (item.guid) current.byGuid.set(item.guid, item);
  changed(guid);
}

function message(side, wire) {
  const attachments = wire.content?.attachments ?? [];
  return { kind: "message", guid: wire.guid, side, text: wire.content?.text ?? "", attachments, sender: wire.sender?.address, tapbacks: new Set() };
}

/** Adds a row at the end of a panel list (oldest first, like the transcript) and keeps the newest in view. */
function appendRow(list, item) {
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

function logActivity(type, summary, detail) {
  const item = el("li");
  item.dataset.type = type;
  item.append(el("span", "code", type), el("span", "", summary), el("span", "detail", detail));
  appendRow($("activity"), item);
}

function clip(text) {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function envelopeMessage(envelopeText) {
  try {
    return JSON.parse(envelopeText ?? "").message;
  } catch {
    return undefined;
  }
}

const voteLine = (sender, title) => `${contactName(sender)} voted ${title}`;

/** What a delivery carried, from its envelope: `Bob: “hello”`, `Bob: vote “Red”`. */
function deliveryLabel(message) {
  if (!message) return "";
  const content = message.content ?? {};
  const kind = deliveryKind(message);
  const target = `“${clip(String(content.target?.contentPreview ?? content.target?.id ?? ""))}”`;
  if (kind === "echo") return `echo of the bot's ${contentSummary(content, clip)}`;
  if (kind === "read") return `${contactName(message.sender?.id ?? "someone")} read ${target}`;
  const what =
    content.type === "text" || content.type === "attachment" || content.type === "group"
      ? contentSummary(content, clip)
      : content.type === "poll_option"
        ? `vote “${content.option?.title ?? "?"}”`
        : content.type === "reaction"
          ? `tapback ${emoji(String(content.emoji ?? ""))}`
          : String(content.type ?? "");
  const sender = message.sender?.id;
  return sender ? `${contactName(sender)}: ${what}` : what;
}

function logDelivery(delivery) {
  let verdict = delivery.error ?? "";
  try {
    const body = JSON.parse(delivery.body);
    verdict = body.status ?? body.error ?? verdict;
  } catch {
    // not JSON: keep the transport error, if any
  }
  const resent = seenWebhookIds.has(delivery.webhookId);
  seenWebhookIds.add(delivery.webhookId);
  const item = el("li", "delivery");
  item.dataset.webhookId = delivery.webhookId;
  const message = envelopeMessage(delivery.envelope);
  item.dataset.kind = deliveryKind(message);
  const ok = delivery.status >= 200 && delivery.status < 300;
  item.append(el("span", `code ${ok ? "ok" : "bad"}`, String(delivery.status || "no answer")));
  const summary = el("span");
  summary.append(el("span", `verdict ${verdict}`, verdict), document.createTextNode(` ${resent ? "(resent) " : ""}${deliveryLabel(message)}`));
  item.append(summary, el("span", "detail", `${delivery.webhookId} · ${delivery.messageId ?? ""}`));
  appendRow($("deliveries"), item);
  // A vote is no message in the transcript: its line comes from the delivery (after a reload too).
  if (message?.content?.type === "poll_option" && message.content.selected && message.space?.id) {
    const poll = chat(message.space.id).items.find((item) => item.kind === "poll" && message.id.startsWith(`${item.guid}:`));
    if (poll) poll.voted = message.content.option?.title;
    addItem(message.space.id, { kind: "system", guid: message.id, text: voteLine(message.sender?.id, message.content.option?.title) });
  }
  // Echoes and read receipts come from the simulated phone, not from you: Resend keeps to your messages.
  if (delivery.envelope && item.dataset.kind === "message") {
    lastDelivery = { body: delivery.envelope, webhookId: delivery.webhookId };
    $("resend").disabled = false;
  }
}

// ── events from the simulator ───────────────────────────────────────────────

/** The bot stopped typing, or its message or poll is on screen: the indicator goes once it has been seen. */
const stopTyping = (current) => stopTypingAfterMinimum(current, () => current.guid === active && renderChat());

const handlers = {
  "inbound.message": (e) => {
    if (!e.message.reactionTargetGuid) return addItem(e.chatGuid, message("me", e.message));
    const symbol = TAPBACKS[e.message.reaction?.kind]?.[0] ?? e.message.reaction?.emoji ?? "?";
    chat(e.chatGuid).byGuid.get(e.message.reactionTargetGuid)?.tapbacks?.add(symbol);
    changed(e.chatGuid);
  },
  "message.sent": (e) => {
    const current = chat(e.chatGuid);
    stopTyping(current);
    addItem(e.chatGuid, message("bot", e.message));
    logActivity("send", `text to ${current.title}`, e.message.content?.text ?? "");
  },
  "message.edited": (e) => {
    const item = chat(e.chatGuid).byGuid.get(e.message.guid);
    if (item) Object.assign(item, { text: e.message.content?.text ?? item.text, edited: true });
    changed(e.chatGuid);
    logActivity("edit", `edited a message in ${chat(e.chatGuid).title}`, e.message.content?.text ?? "");
  },
  "message.unsent": (e) => {
    const item = chat(e.chatGuid).byGuid.get(e.messageGuid);
    if (item) item.unsent = true;
    changed(e.chatGuid);
    logActivity("unsend", `unsent a message in ${chat(e.chatGuid).title}`, e.messageGuid);
  },
  "reaction.set": (e) => {
    const symbol = TAPBACKS[e.kind]?.[0] ?? e.emoji ?? "?";
    const item = chat(e.chatGuid).byGuid.get(e.targetGuid);
    if (item?.tapbacks) item.tapbacks[e.isSet ? "add" : "delete"](symbol);
    changed(e.chatGuid);
    logActivity("tapback", `${e.isSet ? "added" : "removed"} ${emoji(symbol)} in ${chat(e.chatGuid).title}`, e.targetGuid);
  },
  typing: (e) => {
    const current = chat(e.chatGuid);
    if (e.isTyping) startTyping(current, e.at);
    else stopTyping(current);
    changed(e.chatGuid);
    logActivity("typing", `${e.isTyping ? "started" : "stopped"} typing in ${current.title}`, "");
  },
  "chat.read": (e) => logActivity("read", `marked ${chat(e.chatGuid).title} read`, ""),
  "chat.created": (e) => logActivity("chat", `created ${e.chat.guid}`, ""),
  "poll.created": (e) => {
    const current = chat(e.chatGuid);
    stopTyping(current);
    addItem(e.chatGuid, { kind: "poll", guid: e.poll.pollMessageGuid, title: e.poll.title, options: e.poll.options, voted: undefined });
    logActivity("poll", `poll in ${current.title}`, e.poll.title);
  },
  "poll.voted": (e) => logActivity("vote", `bot voted in ${chat(e.chatGuid).title}`, e.poll.title),
  "poll.unvoted": (e) => logActivity("vote", `bot removed its vote in ${chat(e.chatGuid).title}`, e.poll.title),
  "attachment.uploaded": (e) => logActivity("upload", `uploaded ${e.attachment.fileName}`, e.attachment.mimeType),
  "webhook.delivered": (e) => logDelivery(e.delivery),
};

function connect() {
  const source = new EventSource("/__sim/events");
  for (const [type, handle] of Object.entries(handlers)) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse(message.data);
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      handle(event);
    });
  }
  source.addEventListener("open", () => ($("connection").textContent = "live: events from the simulator"));
  source.addEventListener("error", () => ($("connection").textContent = "event stream interrupted, reconnecting…"));
}

// ── sending ──────────────────────────────────────────────────────────────────

const deliver = (body, webhookId) => post(config, body, webhookId);
const photos = photoPicker({
  button: $("attach"),
  input: $("attach-input"),
  preview: $("attachment-preview"),
  name: $("attachment-name"),
  thumbnail: $("attachment-thumbnail"),
  remove: $("attachment-remove"),
});

/** One message: the text, or a photo (uploaded first) with the text as its caption. */
async function send(text, photo) {
  const messageId = `page-${crypto.randomUUID()}`;
  const content = photo ? photoContent(messageId, text, await uploadPhoto(photo)) : { type: "text", text };
  await deliver(JSON.stringify(envelope(active, senderFor(active), content, messageId)));
}

async function vote(poll, option) {
  const guid = active;
  const sender = senderFor(guid);
  poll.voted = option.text;
  const content = {
    type: "poll_option",
    selected: true,
    option: { title: option.text },
    poll: { title: poll.title, options: poll.options.map((o) => ({ title: o.text })) },
  };
  const messageId = `${poll.guid}:${sender}:${option.optionIdentifier}:selected:${Date.now()}`;
  addItem(guid, { kind: "system", guid: messageId, text: voteLine(sender, option.text) });
  await deliver(JSON.stringify(envelope(guid, sender, content, messageId)));
}

$("send-as").replaceChildren(
  ...config.contacts.map((c) => {
    const option = el("option", "", c.name);
    option.value = c.address;
    return option;
  }),
);

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("message-input");
  const text = input.value.trim();
  const photo = photos.take();
  if (!text && !photo) return;
  input.value = "";
  send(text, photo).catch((error) => addItem(active, { kind: "system", text: `not sent: ${error.message}` }));
});

$("resend").addEventListener("click", () => {
  if (!lastDelivery) return;
  deliver(lastDelivery.body, lastDelivery.webhookId).catch((error) => addItem(active, { kind: "system", text: `resend failed: ${error.message}` }));
});

// A narrower window makes the transcript scroll: keep the newest message in view.
window.addEventListener("resize", () => {
  const transcript = $("transcript");
  transcript.scrollTop = transcript.scrollHeight;
});

select(`any;-;${config.contacts[0].address}`);
connect();
