/**
 * @module local-bridge/echo
 * Recognises rows that must not reach the bot although they look like incoming messages: the bot's own
 * sends coming back (in the chat with your own address Messages writes each send twice, once as
 * `is_from_me = 1` and once as a received `is_from_me = 0` copy), and the second copy of a message the
 * owner wrote to themself from another device.
 *
 * A send is recognised by what was sent — the chat (service prefix ignored), the exact text or file name
 * — within a time window, not by `is_from_me`. Each send absorbs at most one row of each direction, so
 * the owner typing the same words later is still a message.
 */
import type { LocalMessage } from "./message-row.ts";

/**
 * How long after a send (or a first self-chat copy) a row dated then counts as its echo (default 30 s).
 * Rows are compared by their own `message.date`, so a bot slow to work through a queue still recognises
 * echoes it reads minutes later.
 */
export const DEFAULT_ECHO_WINDOW_MS = 30_000;
/** A row dated this much before a send cannot be its echo (clock granularity of `message.date`). */
const EARLIER_TOLERANCE_MS = 2_000;
/** Sends are remembered this long for rows still queued behind slow handlers. */
const RETENTION_MS = 15 * 60 * 1000;

interface Entry {
  chat: string;
  body: string;
  at: number;
  /** Directions not yet absorbed: `true` = an is_from_me row, `false` = a received copy. */
  pending: Set<boolean>;
}

export interface EchoGuardOptions {
  windowMs?: number;
  /** Clock (tests pin it). */
  now?: () => number;
}

/** `iMessage;-;+1555…`, `any;-;+1555…` and `SMS;-;+1555…` are the same conversation for echo matching. */
function chatKey(chatGuid: string): string {
  const semicolon = chatGuid.indexOf(";");
  return semicolon >= 0 ? chatGuid.slice(semicolon) : chatGuid;
}

/** When a row was written: its own date, or `now` when it has none. */
function dateOf(row: LocalMessage, now: number): number {
  return row.dateSource === "database" ? row.date.getTime() : now;
}

/** What a row shows: its text, or the name of its single file. */
function bodyOf(row: LocalMessage): string {
  return row.text || row.attachments.map((attachment) => attachment.name).join("\u0000");
}

/**
 * Remembers what the bot sent and the self-chat messages already handed over.
 *
 * @example
 * ```ts
 * const guard = new EchoGuard();
 * guard.recordSend("iMessage;-;+15551234567", "Pong");
 * guard.isOwnSend(row); // true for the "Pong" rows Messages writes for that send
 * ```
 */
export class EchoGuard {
  private readonly windowMs: number;
  private readonly now: () => number;
  private sends: Entry[] = [];
  private selfChat: Entry[] = [];

  constructor(options: EchoGuardOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_ECHO_WINDOW_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records one send statement: a text, or a file by its name. Call it before the send runs (the row
   * can be read before osascript returns). Returns a function that forgets it, for a send that failed.
   */
  recordSend(chatGuid: string, body: string): () => void {
    const entry: Entry = { chat: chatKey(chatGuid), body, at: this.now(), pending: new Set([true, false]) };
    this.sends.push(entry);
    return () => {
      this.sends = this.sends.filter((candidate) => candidate !== entry);
    };
  }

  /**
   * True when the row is one of the bot's sends coming back: an own row anywhere, or a received copy in
   * the chat with your own address. The row is absorbed: the same send never matches twice per direction.
   */
  isOwnSend(row: LocalMessage): boolean {
    if (!row.isFromMe && !row.isSelfChat) return false;
    return this.absorb(this.sends, row);
  }

  /**
   * In the chat with your own address: true when the row is the other copy of a message already handed
   * over (Messages may write a message from another device as sent and again as received). Call
   * {@link rememberSelfChat} for each self-chat row handed over.
   */
  isSelfChatCopy(row: LocalMessage): boolean {
    return row.isSelfChat && this.absorb(this.selfChat, row);
  }

  /** Records a self-chat row handed to the bot, so its other copy is recognised. */
  rememberSelfChat(row: LocalMessage): void {
    if (!row.isSelfChat) return;
    this.prune();
    this.selfChat.push({ chat: chatKey(row.chatGuid), body: bodyOf(row), at: dateOf(row, this.now()), pending: new Set([!row.isFromMe]) });
  }

  private absorb(entries: Entry[], row: LocalMessage): boolean {
    this.prune();
    const chat = chatKey(row.chatGuid);
    const body = bodyOf(row);
    const dated = dateOf(row, this.now());
    const entry = entries.find(
      (candidate) =>
        candidate.chat === chat &&
        candidate.body === body &&
        candidate.pending.has(row.isFromMe) &&
        dated >= candidate.at - EARLIER_TOLERANCE_MS &&
        dated <= candidate.at + this.windowMs,
    );
    if (!entry) return false;
    entry.pending.delete(row.isFromMe);
    return true;
  }

  private prune(): void {
    const horizon = this.now() - Math.max(this.windowMs, RETENTION_MS);
    const live = (entry: Entry) => entry.at >= horizon && entry.pending.size > 0;
    this.sends = this.sends.filter(live);
    this.selfChat = this.selfChat.filter(live);
  }
}
