/**
 * @module In-memory iMessage world: chats, messages, attachments and polls, serialized as the server's JSON.
 */
import { SimError } from "./errors.ts";
import type { WireAddress, WireAttachment, WireChat, WireMessage, WirePoll, SimState } from "./types.ts";
import { mimeForFileName, type SimAttachment, type SimChat, type SimMessage, type SimPoll, type WorldSeed } from "./world-types.ts";

export { mimeForFileName, type SimAttachment, type SimChat, type SimMessage, type SimPoll, type WorldSeed } from "./world-types.ts";

/** Chat GUID syntax the SDK and the server accept: `any;-;<address>` or `any;+;<id>`. */
export const CHAT_GUID = /^any;[-+];.+$/;

/** The group every fresh world starts with (the fixtures' group). */
export const DEMO_GROUP_GUID = "any;+;chat914325730198374";

/** Reaction kinds in the proto enum order (`MESSAGE_REACTION_KIND_*`). */
export const REACTION_KINDS = ["LOVE", "LIKE", "DISLIKE", "LAUGH", "EMPHASIZE", "QUESTION", "EMOJI", "STICKER"] as const;

const EDIT_WINDOW_MS = 15 * 60 * 1000;
const UNSEND_WINDOW_MS = 2 * 60 * 1000;
const POLL_BALLOON = "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.messages.Polls";

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function address(value: string): WireAddress {
  return { address: value, service: "CHAT_SERVICE_TYPE_IMESSAGE" };
}

function newGuid(): string {
  return crypto.randomUUID().toUpperCase();
}

/** The id in a request field, or a validation error naming the field. */
function requiredGuid(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") {
    throw new SimError("invalid_argument", "invalidArgument", `${field} is required`, { context: { field }, source: "middleware" });
  }
  return value;
}

/** The entry under `guid`, or the server's not-found error for that kind of thing. */
function found<T>(map: Map<string, T>, value: unknown, field: string, errorCode: string): T {
  const guid = requiredGuid(value, field);
  const entry = map.get(guid);
  if (entry === undefined) throw new SimError("not_found", errorCode, `${field} not found: ${guid}`, { context: { [field]: guid } });
  return entry;
}

/** The simulated account's data; every mutation is a method that validates like the server. */
export class World {
  readonly selfAddress: string;
  readonly chats = new Map<string, SimChat>();
  readonly messages = new Map<string, SimMessage>();
  /** First answers of keyed writes that create no message (edits, unsends), by `<route>:<clientMessageId>`. */
  readonly answered = new Map<string, unknown>();
  readonly attachments = new Map<string, SimAttachment>();
  readonly polls = new Map<string, SimPoll>();
  readonly typing = new Map<string, boolean>();
  private rowid = 0;

  constructor(seed: WorldSeed = {}) {
    this.selfAddress = seed.selfAddress ?? "+15550001111";
    this.addChat(DEMO_GROUP_GUID, ["+15551234567", "friend@example.com", "+15557654321"], "Demo group");
    this.addChat("any;-;+15551234567", ["+15551234567"]);
    this.addChat("any;-;friend@example.com", ["friend@example.com"]);
    for (const chat of seed.chats ?? []) this.addChat(chat.guid, chat.participants, chat.displayName);
  }

  /** Creates (or returns) a chat without validation; used for seeding and inbound webhooks. */
  addChat(guid: string, participants: string[], displayName?: string): SimChat {
    const existing = this.chats.get(guid);
    if (existing) return existing;
    const chat: SimChat = {
      guid,
      isGroup: guid.startsWith("any;+;"),
      displayName,
      participants,
      unreadCount: 0,
      createdAt: Date.now(),
    };
    this.chats.set(guid, chat);
    return chat;
  }

  requireChatGuid(value: unknown, field = "chatGuid"): string {
    if (typeof value !== "string" || !CHAT_GUID.test(value.trim())) {
      throw new SimError("invalid_argument", "invalidArgument", `${field} must look like "any;-;<address>" or "any;+;<id>"`, {
        context: { field, value: String(value) },
        source: "middleware",
      });
    }
    return value.trim();
  }

  chat(guid: unknown, field = "chatGuid"): SimChat {
    const key = this.requireChatGuid(guid, field);
    const chat = this.chats.get(key);
    if (!chat) throw new SimError("not_found", "chatNotFound", `chat not found: ${key}`, { context: { chatGuid: key } });
    return chat;
  }

  message(guid: unknown, chatGuid?: string): SimMessage {
    const key = requiredGuid(guid, "messageGuid");
    const message = this.messages.get(key);
    if (!message || (chatGuid !== undefined && message.chatGuid !== chatGuid)) {
      throw new SimError("not_found", "messageNotFound", `message not found: ${key}${chatGuid ? ` in ${chatGuid}` : ""}`, {
        context: { messageGuid: key },
      });
    }
    return message;
  }

  attachment(guid: unknown): SimAttachment {
    return found(this.attachments, guid, "attachmentGuid", "attachmentNotFound");
  }

  poll(guid: unknown): SimPoll {
    return found(this.polls, guid, "pollMessageGuid", "pollNotFound");
  }

  /** Stores a message and returns it; `guid` defaults to a fresh uppercase UUID like iMessage's. */
  addMessage(fields: Partial<SimMessage> & { chatGuid: string; isFromMe: boolean }): SimMessage {
    const message: SimMessage = {
      guid: fields.guid ?? newGuid(),
      rowid: ++this.rowid,
      attachmentGuids: [],
      mentions: [],
      formatting: [],
      partCount: 1,
      isAudioMessage: false,
      dateCreated: Date.now(),
      ...fields,
    };
    this.messages.set(message.guid, message);
    const chat = this.chats.get(message.chatGuid);
    if (chat && !message.isFromMe) chat.unreadCount += 1;
    return message;
  }

  /** Finds an earlier send with the same caller-provided `clientMessageId` in the chat. */
  byClientMessageId(chatGuid: string, clientMessageId: unknown): SimMessage | undefined {
    if (typeof clientMessageId !== "string" || clientMessageId === "") return undefined;
    for (const message of this.messages.values()) {
      if (message.chatGuid === chatGuid && message.clientMessageId === clientMessageId) return message;
    }
    return undefined;
  }

  addAttachment(fields: { fileName: string; bytes: Uint8Array; isOutgoing: boolean; guid?: string; mimeType?: string }): SimAttachment {
    const attachment: SimAttachment = {
      guid: fields.guid ?? `at_${crypto.randomUUID()}`,
      fileName: fields.fileName,
      mimeType: fields.mimeType ?? mimeForFileName(fields.fileName).mimeType,
      bytes: fields.bytes,
      isOutgoing: fields.isOutgoing,
    };
    this.attachments.set(attachment.guid, attachment);
    return attachment;
  }

  /** Edits the text of one of the account's own messages within Apple's 15-minute window. */
  edit(message: SimMessage, newText: string): SimMessage {
    this.requireOwnLiveMessage(message, "edit");
    if (Date.now() - message.dateCreated > EDIT_WINDOW_MS) {
      throw new SimError("failed_precondition", "preconditionFailed", "messages can only be edited within 15 minutes");
    }
    message.text = newText;
    message.dateEdited = Date.now();
    return message;
  }

  /** Retracts one of the account's own messages within Apple's 2-minute window. */
  unsend(message: SimMessage): SimMessage {
    this.requireOwnLiveMessage(message, "unsend");
    if (Date.now() - message.dateCreated > UNSEND_WINDOW_MS) {
      throw new SimError("failed_precondition", "preconditionFailed", "messages can only be unsent within 2 minutes");
    }
    message.dateRetracted = Date.now();
    message.text = undefined;
    message.attachmentGuids = [];
    return message;
  }

  private requireOwnLiveMessage(message: SimMessage, action: string): void {
    if (!message.isFromMe) {
      throw new SimError("failed_precondition", "preconditionFailed", `can only ${action} messages sent by this account`, {
        context: { messageGuid: message.guid },
      });
    }
    if (message.dateRetracted !== undefined) {
      throw new SimError("failed_precondition", "preconditionFailed", `cannot ${action} a retracted message`, {
        context: { messageGuid: message.guid },
      });
    }
  }

  markRead(chat: SimChat): void {
    chat.unreadCount = 0;
    const now = Date.now();
    for (const message of this.messages.values()) {
      if (message.chatGuid === chat.guid && !message.isFromMe && message.dateRead === undefined) message.dateRead = now;
    }
  }

  /** Messages newest first, optionally of one chat, after the filters of `listByChat`/`listRecent`. */
  list(filter: { chatGuid?: string; isFromMe?: boolean; isRead?: boolean; before?: number; after?: number; beforeRowid?: number }): SimMessage[] {
    return [...this.messages.values()]
      .filter((m) => filter.chatGuid === undefined || m.chatGuid === filter.chatGuid)
      .filter((m) => filter.isFromMe === undefined || m.isFromMe === filter.isFromMe)
      .filter((m) => filter.isRead === undefined || (m.isFromMe || m.dateRead !== undefined) === filter.isRead)
      .filter((m) => filter.before === undefined || m.dateCreated < filter.before)
      .filter((m) => filter.after === undefined || m.dateCreated > filter.after)
      .filter((m) => filter.beforeRowid === undefined || m.rowid < filter.beforeRowid)
      .sort((a, b) => b.rowid - a.rowid);
  }

  // ---- JSON on the wire (proto3 JSON: camelCase, enum names, RFC 3339 timestamps, int64 as strings)

  attachmentJson(attachment: SimAttachment): WireAttachment {
    return {
      guid: attachment.guid,
      fileName: attachment.fileName,
      mimeType: attachment.mimeType,
      uti: mimeForFileName(attachment.fileName).uti,
      totalBytes: String(attachment.bytes.byteLength),
      isOutgoing: attachment.isOutgoing,
      transferState: "TRANSFER_STATE_FINISHED",
      isHidden: false,
      isSticker: false,
      ...(attachment.companion ? { companionKind: "COMPANION_KIND_LIVE_PHOTO_VIDEO" } : {}),
    };
  }

  messageJson(message: SimMessage): WireMessage {
    const reactions = [...this.messages.values()].filter(
      (m) => m.reactionTargetGuid === message.guid && m.reactionSelected === true && m.reaction,
    );
    return {
      guid: message.guid,
      content: {
        ...(message.text !== undefined ? { text: message.text } : {}),
        attachments: message.attachmentGuids.flatMap((guid) => {
          const attachment = this.attachments.get(guid);
          return attachment ? [this.attachmentJson(attachment)] : [];
        }),
        formatting: message.formatting,
        mentions: message.mentions,
        ...(message.balloonBundleId ? { balloonBundleId: message.balloonBundleId } : {}),
        ...(message.effectId ? { expressiveSendStyleId: message.effectId } : {}),
      },
      ...(message.subject !== undefined ? { subject: message.subject } : {}),
      dateCreated: new Date(message.dateCreated).toISOString(),
      ...(message.isFromMe ? { dateDelivered: new Date(message.dateCreated).toISOString() } : {}),
      ...(message.dateRead !== undefined ? { dateRead: iso(message.dateRead) } : {}),
      ...(message.dateEdited !== undefined ? { dateEdited: iso(message.dateEdited) } : {}),
      ...(message.dateRetracted !== undefined ? { dateRetracted: iso(message.dateRetracted) } : {}),
      ...(message.sender !== undefined && !message.isFromMe ? { sender: address(message.sender) } : {}),
      isFromMe: message.isFromMe,
      isSent: message.isFromMe,
      isDelivered: true,
      isAudioMessage: message.isAudioMessage,
      itemType: "MESSAGE_ITEM_TYPE_NORMAL",
      partCount: message.partCount,
      ...(message.threadOriginatorGuid ? { threadOriginatorGuid: message.threadOriginatorGuid, threadOriginatorPart: "0:0:0" } : {}),
      ...(message.replyTargetGuid ? { replyTargetGuid: message.replyTargetGuid } : {}),
      ...(message.reactionTargetGuid
        ? {
            reactionTargetGuid: message.reactionTargetGuid,
            reactionTargetPartIndex: message.reactionTargetPartIndex ?? 0,
            reaction: message.reaction,
            reactionSelected: message.reactionSelected ?? true,
          }
        : {}),
      appliedReactions: reactions.map((r) => ({
        messageGuid: r.guid,
        targetPartIndex: r.reactionTargetPartIndex ?? 0,
        reaction: r.reaction ?? { kind: "MESSAGE_REACTION_KIND_LOVE" },
        ...(r.sender !== undefined && !r.isFromMe ? { sender: address(r.sender) } : {}),
        isFromMe: r.isFromMe,
        dateCreated: new Date(r.dateCreated).toISOString(),
      })),
      placedStickers: [],
      chatGuids: [message.chatGuid],
      ...(message.isFromMe ? { destinationCallerId: this.selfAddress } : {}),
    };
  }

  chatJson(chat: SimChat): WireChat {
    const last = this.list({ chatGuid: chat.guid })[0];
    return {
      guid: chat.guid,
      chatIdentifier: chat.guid.slice("any;-;".length),
      ...(chat.isGroup ? { groupId: chat.guid.slice("any;+;".length) } : {}),
      ...(chat.displayName !== undefined ? { displayName: chat.displayName } : {}),
      isGroup: chat.isGroup,
      service: "CHAT_SERVICE_TYPE_IMESSAGE",
      isArchived: false,
      isFiltered: false,
      unreadCount: chat.unreadCount,
      participants: chat.participants.map(address),
      ...(last ? { lastMessage: this.messageJson(last) } : {}),
    };
  }

  pollJson(poll: SimPoll): WirePoll {
    return {
      pollMessageGuid: poll.pollMessageGuid,
      chatGuid: poll.chatGuid,
      title: poll.title,
      options: poll.options,
      votes: [...poll.votes].map(([participant, optionIdentifier]) => ({ participant: address(participant), optionIdentifier })),
    };
  }

  /** Creates a poll and its balloon message. */
  createPoll(chat: SimChat, title: string, choices: string[], clientMessageId?: string, server?: string): SimPoll {
    const message = this.addMessage({
      chatGuid: chat.guid,
      isFromMe: true,
      text: title,
      balloonBundleId: POLL_BALLOON,
      clientMessageId,
      server,
    });
    const poll: SimPoll = {
      pollMessageGuid: message.guid,
      chatGuid: chat.guid,
      title,
      options: choices.map((text) => ({ text, optionIdentifier: crypto.randomUUID(), creatorHandle: this.selfAddress })),
      votes: new Map(),
    };
    this.polls.set(poll.pollMessageGuid, poll);
    return poll;
  }

  state(): SimState {
    return {
      selfAddress: this.selfAddress,
      chats: [...this.chats.values()].map((c) => this.chatJson(c)),
      messages: [...this.messages.values()].sort((a, b) => a.rowid - b.rowid).map((m) => this.messageJson(m)),
      polls: [...this.polls.values()].map((p) => this.pollJson(p)),
      attachments: [...this.attachments.values()].map((a) => this.attachmentJson(a)),
      typing: Object.fromEntries(this.typing),
    };
  }
}
