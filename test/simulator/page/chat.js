// The chat page: sends what you type as signed webhook deliveries (POST /__sim/deliver) and renders
// what the bot does from the simulator's event stream (GET /__sim/events). No build step.

const TAPBACKS = {
  MESSAGE_REACTION_KIND_LOVE: "❤️",
  MESSAGE_REACTION_KIND_LIKE: "👍",
  MESSAGE_REACTION_KIND_DISLIKE: "👎",
  MESSAGE_REACTION_KIND_LAUGH: "😂",
  MESSAGE_REACTION_KIND_EMPHASIZE: "‼️",
  MESSAGE_REACTION_KIND_QUESTION: "❓",
};
const TYPING_MIN_MS = 800;

const $ = (id) => document.getElementById(id);
const config = await (await fetch("/chat/config.json")).json();

/** chat GUID → { guid, title, subtitle, items: [], byGuid: Map, typing, typingSince, unread } */
const chats = new Map();
let active;
let lastSeq = 0;
/** The last delivery this page made, for "Resend last delivery". */
let lastDelivery;
/** message id → short label, for the deliveries panel. */
const labels = new Map();
const seenWebhookIds = new Set();

function chat(guid, title = guid, subtitle = "") {
  let found = chats.get(guid);
  if (!found) {
    found = { guid, title, subtitle, items: [], byGuid: new Map(), typing: false, typingSince: 0, unread: false };
    chats.set(guid, found);
    renderList();
  }
  return found;
}

for (const contact of config.contacts) chat(`any;-;${contact.address}`, contact.name, contact.address);
chat(config.groupGuid, "Demo group", `mention @${config.botName} to start`);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function contactName(address) {
  return config.contacts.find((c) => c.address === address)?.name ?? address;
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
    node.append(el("strong", "", `📊 ${item.title}`));
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
  node.append(document.createTextNode(item.unsent ? "message unsent" : item.text));
  if (item.edited) node.append(el("span", "edited", "Edited"));
  if (item.tapbacks.size) node.append(el("span", "tapback", [...item.tapbacks].join("")));
  return node;
}

function renderChat() {
  const current = chats.get(active);
  $("chat-title").textContent = current.title;
  const isGroup = active.startsWith("any;+;");
  $("send-as-label").hidden = !isGroup;
  $("chat-hint").textContent = isGroup
    ? `Say "@${config.botName} hi" to start: the bot subscribes to the group and then answers every message.`
    : `Try "hello", "thanks" (a ❤️ tapback) or "poll" (a native poll; click an option to vote).`;
  const transcript = $("transcript");
  const nodes = current.items.map(renderItem);
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
  return { kind: "message", guid: wire.guid, side, text: wire.content?.text ?? "", sender: wire.sender?.address, tapbacks: new Set() };
}

function logActivity(type, summary, detail) {
  const item = el("li");
  item.dataset.type = type;
  item.append(el("span", "code", type), el("span", "", summary), el("span", "detail", detail));
  $("activity").prepend(item);
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
  const ok = delivery.status >= 200 && delivery.status < 300;
  item.append(el("span", `code ${ok ? "ok" : "bad"}`, String(delivery.status || "no answer")));
  const summary = el("span");
  summary.append(el("span", `verdict ${verdict}`, verdict), document.createTextNode(` ${resent ? "(resent) " : ""}${labels.get(delivery.messageId) ?? ""}`));
  item.append(summary, el("span", "detail", `${delivery.webhookId} · ${delivery.messageId ?? ""}`));
  $("deliveries").prepend(item);
}

// ── events from the simulator ───────────────────────────────────────────────

function finishTyping(current) {
  const wait = Math.max(0, current.typingSince + TYPING_MIN_MS - Date.now());
  setTimeout(() => {
    if (current.typing === "ending") {
      current.typing = false;
      changed(current.guid);
    }
  }, wait);
  current.typing = "ending";
}

const handlers = {
  "inbound.message": (e) => addItem(e.chatGuid, message("me", e.message)),
  "message.sent": (e) => {
    const current = chat(e.chatGuid);
    if (current.typing) finishTyping(current);
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
    const emoji = TAPBACKS[e.kind] ?? e.emoji ?? "?";
    const item = chat(e.chatGuid).byGuid.get(e.targetGuid);
    if (item?.tapbacks) item.tapbacks[e.isSet ? "add" : "delete"](emoji);
    changed(e.chatGuid);
    logActivity("tapback", `${e.isSet ? "added" : "removed"} ${emoji} in ${chat(e.chatGuid).title}`, e.targetGuid);
  },
  typing: (e) => {
    const current = chat(e.chatGuid);
    if (e.isTyping) {
      current.typing = true;
      current.typingSince = Date.now();
    } else if (current.typing === true) finishTyping(current);
    changed(e.chatGuid);
    logActivity("typing", `${e.isTyping ? "started" : "stopped"} typing in ${current.title}`, "");
  },
  "chat.read": (e) => logActivity("read", `marked ${chat(e.chatGuid).title} read`, ""),
  "chat.created": (e) => logActivity("chat", `created ${e.chat.guid}`, ""),
  "poll.created": (e) => {
    const current = chat(e.chatGuid);
    if (current.typing) finishTyping(current);
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

function envelope(guid, sender, content, messageId) {
  const space = { id: guid, platform: "imessage", type: guid.startsWith("any;+;") ? "group" : "dm", phone: "shared" };
  return {
    event: "messages",
    space,
    message: {
      id: messageId,
      platform: "imessage",
      direction: "inbound",
      timestamp: new Date().toISOString(),
      sender: { id: sender, platform: "imessage" },
      space,
      content,
    },
  };
}

async function deliver(body, webhookId) {
  const response = await fetch("/__sim/deliver", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: config.webhookUrl, secret: config.webhookSecret, envelope: body, ...(webhookId ? { webhookId } : {}) }),
  });
  const result = await response.json();
  if (!response.ok) throw new Error(result.error ?? `deliver failed (${response.status})`);
  lastDelivery = { body, webhookId: result.webhookId };
  $("resend").disabled = false;
  return result;
}

async function send(text) {
  const messageId = `page-${crypto.randomUUID()}`;
  labels.set(messageId, `“${text.length > 40 ? `${text.slice(0, 40)}…` : text}”`);
  await deliver(JSON.stringify(envelope(active, senderFor(active), { type: "text", text }, messageId)));
}

async function vote(poll, option) {
  const guid = active;
  const sender = senderFor(guid);
  poll.voted = option.text;
  addItem(guid, { kind: "system", text: `${contactName(sender)} voted ${option.text}` });
  const content = {
    type: "poll_option",
    selected: true,
    option: { title: option.text },
    poll: { title: poll.title, options: poll.options.map((o) => ({ title: o.text })) },
  };
  const messageId = `${poll.guid}:${sender}:${option.optionIdentifier}:selected:${Date.now()}`;
  labels.set(messageId, `vote “${option.text}”`);
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
  if (!text) return;
  input.value = "";
  send(text).catch((error) => addItem(active, { kind: "system", text: `not sent: ${error.message}` }));
});

$("resend").addEventListener("click", () => {
  if (!lastDelivery) return;
  deliver(lastDelivery.body, lastDelivery.webhookId).catch((error) => addItem(active, { kind: "system", text: `resend failed: ${error.message}` }));
});

select(`any;-;${config.contacts[0].address}`);
connect();
