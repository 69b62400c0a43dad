// What the chat page sends and how it reads deliveries: envelopes, photo uploads (a photo with a
// caption is one group of message records, as Spectrum sends it), the tapback picker, and which
// deliveries are the simulated phone's echoes and read receipts rather than messages you typed.

/** The six classic tapbacks, as Spectrum writes them on the wire. */
export const CLASSIC_TAPBACKS = ["❤️", "👍", "👎", "😂", "‼️", "❓"];

/** A slim inbound `messages` envelope from `sender` in chat `guid`. */
export function envelope(guid, sender, content, messageId) {
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

/** Signs and posts one delivery through the simulator (`POST /__sim/deliver`). */
export async function deliver(config, body, webhookId) {
  const response = await fetch("/__sim/deliver", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: config.webhookUrl, secret: config.webhookSecret, envelope: body, ...(webhookId ? { webhookId } : {}) }),
  });
  const result = await response.json();
  if (!response.ok) throw new Error(result.error ?? `deliver failed (${response.status})`);
  return result;
}

/** Puts the file's bytes on the simulated server as an inbound attachment; returns its `attachment` content. */
export async function uploadPhoto(file) {
  const query = new URLSearchParams({
    fileName: file.name || "photo.jpg",
    guid: `at_${crypto.randomUUID()}`,
    mimeType: file.type || "application/octet-stream",
  });
  const response = await fetch(`/__sim/attachments?${query}`, { method: "POST", body: file });
  const result = await response.json();
  if (!response.ok) throw new Error(result.error ?? `upload failed (${response.status})`);
  const { guid, fileName, mimeType, totalBytes } = result.attachment;
  return { type: "attachment", id: guid, name: fileName, mimeType, size: Number(totalBytes) };
}

/** A photo alone is an `attachment`; with a caption, a group of records `p:0/<id>` (text), `p:1/<id>` (photo). */
export function photoContent(messageId, caption, attachment) {
  if (!caption) return attachment;
  return {
    type: "group",
    items: [
      { id: `p:0/${messageId}`, content: { type: "text", text: caption } },
      { id: `p:1/${messageId}`, content: attachment },
    ],
  };
}

/** `echo` (the bot's own message coming back), `read` (a read receipt) or `message` (what a person sent). */
export function deliveryKind(message) {
  if (message?.direction === "outbound") return "echo";
  if (message?.content?.type === "read") return "read";
  return "message";
}

/** Short text of a content: text, caption and file names. */
export function contentSummary(content, clip) {
  if (content.type === "text") return `“${clip(String(content.text ?? ""))}”`;
  if (content.type === "attachment") return `📎 ${content.name ?? "attachment"}`;
  if (content.type === "group") {
    const parts = (content.items ?? []).map((item) => item?.content ?? item).filter(Boolean);
    return parts.map((part) => contentSummary(part, clip)).join(" + ");
  }
  return String(content.type ?? "");
}

/**
 * The row under a bot message offering the six tapbacks; `label` turns an emoji into what this
 * browser can show, `pick(emoji)` sends one.
 */
export function tapbackMenu(label, pick) {
  const row = document.createElement("li");
  row.className = "tapback-menu";
  for (const symbol of CLASSIC_TAPBACKS) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.emoji = symbol;
    button.textContent = label(symbol);
    button.title = `Send a ${symbol} tapback`;
    button.addEventListener("click", () => pick(symbol));
    row.append(button);
  }
  return row;
}

/** Wires the attach button, file input and preview bar; returns `{ take() }`, which hands over and clears the chosen file. */
export function photoPicker({ button, input, preview, name, thumbnail, remove }) {
  let chosen;
  const clear = () => {
    if (thumbnail.src) URL.revokeObjectURL(thumbnail.src);
    thumbnail.removeAttribute("src");
    chosen = undefined;
    input.value = "";
    preview.hidden = true;
  };
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (!file) return clear();
    chosen = file;
    name.textContent = file.name;
    thumbnail.src = URL.createObjectURL(file);
    preview.hidden = false;
  });
  remove.addEventListener("click", clear);
  return {
    take() {
      const file = chosen;
      clear();
      return file;
    },
  };
}
