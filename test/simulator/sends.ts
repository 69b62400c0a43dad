/**
 * @module What the simulated server was asked (every attempt) and what it put into chats (what a phone would show), kept apart.
 */
import type { SimulatorEvents } from "./events.ts";
import type { DeliveredMessage, SendAttempt, SimEventRecord } from "./types.ts";

const LIMIT = 500_000;

/** Filter of {@link SendLog.attempts} and {@link SendLog.delivered}. */
export interface SendFilter {
  /** Only entries with `seq` greater than this (see {@link SendLog.mark}). */
  since?: number;
  /** Only entries in chats whose GUID starts with this. */
  chatPrefix?: string;
  /** Only attempts on this exact path. */
  path?: string;
}

/**
 * Attempts and deliveries of the iMessage routes, unbounded by the recorder's window (up to
 * 500,000 of each), so a storm of thousands of messages can be counted afterwards.
 */
export class SendLog {
  private attemptList: SendAttempt[] = [];
  private deliveredList: DeliveredMessage[] = [];
  private readonly byGuid = new Map<string, DeliveredMessage>();
  private readonly open = new Map<number, string>();
  private nextOpen = 0;
  private seq = 0;

  /** Records what the server put into a chat, from the simulator's event feed. */
  constructor(events: SimulatorEvents) {
    events.on((event) => this.observe(event));
  }

  /** Notes a request the server has started on (for {@link inFlight}); returns the handle to {@link finish}. */
  begin(chatGuid: string | undefined): number {
    this.open.set(++this.nextOpen, chatGuid ?? "");
    return this.nextOpen;
  }

  finish(handle: number): void {
    this.open.delete(handle);
  }

  /** Requests the server has not answered yet (a hang counts until it ends), in chats with this prefix. */
  inFlight(chatPrefix = ""): number {
    let count = 0;
    for (const chatGuid of this.open.values()) if (chatGuid.startsWith(chatPrefix)) count += 1;
    return count;
  }

  /** Adds one attempt (its `seq` is assigned here). */
  attempt(entry: Omit<SendAttempt, "seq">): void {
    if (this.attemptList.length >= LIMIT) this.attemptList.shift();
    this.attemptList.push({ ...entry, seq: ++this.seq });
  }

  /** Notes the idempotency key of the request that created a delivered message. */
  tagKey(messageGuid: string, key: string): void {
    const delivered = this.byGuid.get(messageGuid);
    if (delivered && delivered.idempotencyKey === undefined) delivered.idempotencyKey = key;
  }

  attempts(filter: SendFilter = {}): SendAttempt[] {
    return this.attemptList.filter(
      (a) =>
        (filter.since === undefined || a.seq > filter.since) &&
        (filter.path === undefined || a.path === filter.path) &&
        (filter.chatPrefix === undefined || (a.chatGuid?.startsWith(filter.chatPrefix) ?? false)),
    );
  }

  delivered(filter: SendFilter = {}): DeliveredMessage[] {
    return this.deliveredList.filter(
      (d) => (filter.since === undefined || d.seq > filter.since) && (filter.chatPrefix === undefined || d.chatGuid.startsWith(filter.chatPrefix)),
    );
  }

  /** The latest sequence number of either list. */
  mark(): number {
    return this.seq;
  }

  clear(): void {
    this.attemptList = [];
    this.deliveredList = [];
    this.byGuid.clear();
  }

  private observe(event: SimEventRecord): void {
    let entry: Omit<DeliveredMessage, "seq"> | undefined;
    if (event.type === "message.sent") {
      const text = event.message.content.text;
      entry = { at: event.at, kind: "message", chatGuid: event.chatGuid, guid: event.message.guid, ...(text !== undefined ? { text } : {}) };
    } else if (event.type === "reaction.set" && event.isSet) {
      entry = { at: event.at, kind: "reaction", chatGuid: event.chatGuid, guid: `${event.targetGuid}/${event.kind}/${event.seq}`, text: event.emoji ?? event.kind };
    } else if (event.type === "poll.created") {
      entry = { at: event.at, kind: "poll", chatGuid: event.chatGuid, guid: event.poll.pollMessageGuid, text: event.poll.title };
    }
    if (!entry) return;
    if (this.deliveredList.length >= LIMIT) this.deliveredList.shift();
    const delivered = { ...entry, seq: ++this.seq };
    this.deliveredList.push(delivered);
    this.byGuid.set(delivered.guid, delivered);
  }
}
