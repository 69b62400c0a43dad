/**
 * @module Shared types of the Spectrum simulator (world, recorder, faults, events).
 */

/** A Spectrum Cloud project the simulator issues tokens for. */
export interface SimProject {
  id: string;
  secret: string;
  /** `shared`: one token for the shared proxy; `dedicated`: one token per instance. */
  mode: "shared" | "dedicated";
  /** Dedicated instances: instance id → phone number. */
  instances: Record<string, string>;
  /** Lifetime of issued tokens in seconds. */
  expiresIn: number;
  name?: string;
}

/** Partial project update accepted by `POST /__sim/projects`. */
export interface SimProjectUpdate {
  projectId: string;
  secret?: string;
  mode?: "shared" | "dedicated";
  instances?: Record<string, string>;
  expiresIn?: number;
}

/** One HTTP request seen by the simulator (control routes under `/__sim` are not recorded). */
export interface RecordedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: {
    authorization?: string;
    "x-idempotency-key"?: string;
    "x-photon-server"?: string;
    "content-type"?: string;
    "user-agent"?: string;
  };
  /** Parsed JSON body, when the body was JSON. */
  body?: unknown;
  /** Body size in bytes (0 when there was none). */
  bodyBytes: number;
  status: number;
  /** The socket was destroyed without an answer (fault `drop`). */
  dropped?: boolean;
  /** The answer was replayed from an earlier call with the same `x-idempotency-key`. */
  idempotentReplay?: boolean;
  /** A fault switch produced (or delayed) this answer. */
  faulted?: boolean;
  durationMs: number;
}

/** Filter for `GET /__sim/requests`. */
export interface RequestFilter {
  /** Exact path, e.g. `/v1/messages:sendText`. */
  path?: string;
  /** Path prefix, e.g. `/v1/messages`. */
  prefix?: string;
  method?: string;
  /** Only entries with `seq` greater than this. */
  since?: number;
}

/** A fault switch, armed by `POST /__sim/faults`. */
export interface FaultSpec {
  /** Path to match: exact, or a prefix when it ends with `*`. */
  match: string;
  method?: string;
  /** Only requests carrying this `x-photon-server`. */
  server?: string;
  /** Only requests with this bearer token (keeps a test's faults away from concurrent suites). */
  token?: string;
  /** Only requests whose body (or query) names a chat GUID starting with this (scopes a scenario's faults to its chats). */
  chatPrefix?: string;
  /** Answer with this status and an error body in the middleware's contract. */
  status?: number;
  /**
   * How many times the fault fires: the next `times` matching requests (default 1), or with `rate`
   * at most `times` firings (unlimited when omitted).
   */
  times?: number;
  /** Fire on this share of matching requests (0 < rate ≤ 1), drawn from a seeded generator. */
  rate?: number;
  /** Seed of the `rate` draws (default: derived from the fault's id). */
  seed?: number;
  /** Each firing covers this many consecutive matching requests (a 503 burst). */
  burst?: number;
  /**
   * `before` (default): the fault replaces the server's work — nothing is sent.
   * `after`: the server handles the request (the message is sent and its idempotency key
   * remembered), then the delay, drop or status is applied to the answer: a lost response.
   */
  phase?: "before" | "after";
  /**
   * The bearer token presented expires at this request (a token that runs out mid-flight): the
   * answer is 401 `tokenExpired`, and every later request with that token is refused too.
   */
  expireToken?: boolean;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** Wait this long before answering (or before handling normally when no `status`/`drop`). */
  delayMs?: number;
  /** Destroy the connection without answering. */
  drop?: boolean;
  /** Override the error body's `retryable` flag. */
  retryable?: boolean;
  /** Override the error body's `errorCode`. */
  errorCode?: string;
  /** Answer with a plain-text body instead of the JSON error contract (like a load balancer). */
  bodyless?: boolean;
}

/** A fault switch as stored, with its remaining count. */
export interface ArmedFault extends FaultSpec {
  id: number;
  /** Firings left (`null`: unlimited, a `rate` fault without `times`). */
  remaining: number | null;
  /** Requests this fault has answered so far (each request of a burst counts). */
  fired: number;
}

/** How the simulated server answered one `/v1` request (`GET /__sim/sends`). */
export type AttemptOutcome =
  /** handled: the server acted (for a send: a new message) */
  | "handled"
  /** same `x-idempotency-key` as an earlier completed request: its answer replayed, nothing done */
  | "replayed"
  /** same key as a request still in flight: waited for it and got its answer, nothing done */
  | "joined"
  /** a fault answered before the server acted (error status, drop, hang, expired token) */
  | "faulted-before"
  /** the server acted, then a fault lost or replaced the answer */
  | "faulted-after"
  /** the server refused it (validation, auth) */
  | "refused";

/** One request to the iMessage routes, as the server saw it (every attempt, replays included). */
export interface SendAttempt {
  seq: number;
  at: number;
  method: string;
  path: string;
  idempotencyKey?: string;
  chatGuid?: string;
  /** Text of a send, when it had one. */
  text?: string;
  /** The body's `clientMessageId` (the per-message idempotency field of sends), when it had one. */
  clientMessageId?: string;
  /** HTTP status answered (0: connection dropped). */
  status: number;
  outcome: AttemptOutcome;
  faultId?: number;
  /** The key was seen before with a different request body (a real server would not treat that as a retry). */
  keyConflict?: boolean;
}

/** Something a phone would show: a message, tapback or poll the server put into a chat. */
export interface DeliveredMessage {
  seq: number;
  at: number;
  kind: "message" | "reaction" | "poll";
  chatGuid: string;
  guid: string;
  text?: string;
  /** Key of the request that created it. */
  idempotencyKey?: string;
}

/** Token issuance counters (`GET /__sim/tokens`). */
export interface TokenIssuances {
  total: number;
  byProject: Record<string, number>;
  issuances: { projectId: string; type: "shared" | "dedicated"; at: number; expiresAt: number }[];
}

/** One webhook delivery made by `POST /__sim/deliver`. */
export interface DeliveryRecord {
  webhookId: string;
  url: string;
  timestamp: number;
  status: number;
  body: string;
  at: number;
  /** The exact body that was sent (the envelope as JSON text): the chat page shows and resends it. */
  envelope?: string;
  messageId?: string;
  chatGuid?: string;
  error?: string;
}

/** Everything the simulator publishes on its event stream. */
export type SimEvent =
  | { type: "message.sent"; chatGuid: string; message: WireMessage; server?: string }
  | { type: "message.edited"; chatGuid: string; message: WireMessage; server?: string }
  | { type: "message.unsent"; chatGuid: string; messageGuid: string; server?: string }
  | { type: "reaction.set"; chatGuid: string; targetGuid: string; kind: string; emoji?: string; isSet: boolean; server?: string }
  | { type: "typing"; chatGuid: string; isTyping: boolean; server?: string }
  | { type: "chat.read"; chatGuid: string; server?: string }
  | { type: "chat.created"; chat: WireChat; server?: string }
  | { type: "poll.created"; chatGuid: string; poll: WirePoll; server?: string }
  | { type: "poll.voted"; chatGuid: string; poll: WirePoll; optionIdentifier: string; server?: string }
  | { type: "poll.unvoted"; chatGuid: string; poll: WirePoll; server?: string }
  | { type: "attachment.uploaded"; attachment: WireAttachment; server?: string }
  | { type: "webhook.delivered"; delivery: DeliveryRecord }
  | { type: "inbound.message"; chatGuid: string; message: WireMessage };

/** A published event with its sequence number and time. */
export type SimEventRecord = SimEvent & { seq: number; at: number };

/** JSON shape of a chat on the wire (proto3 JSON of `Chat`). */
export interface WireChat {
  guid: string;
  chatIdentifier: string;
  groupId?: string;
  displayName?: string;
  isGroup: boolean;
  service: string;
  isArchived: boolean;
  isFiltered: boolean;
  unreadCount: number;
  participants: WireAddress[];
  lastMessage?: WireMessage;
}

/** JSON shape of an address (`SingleServiceAddressInfo`). */
export interface WireAddress {
  address: string;
  service: string;
  country?: string;
}

/** JSON shape of attachment metadata (`AttachmentInfo`); int64 as strings like protojson. */
export interface WireAttachment {
  guid: string;
  fileName: string;
  mimeType: string;
  uti: string;
  totalBytes: string;
  isOutgoing: boolean;
  transferState: string;
  isHidden: boolean;
  isSticker: boolean;
  companionKind?: string;
}

/** JSON shape of a message (`Message`). */
export interface WireMessage {
  guid: string;
  content: {
    text?: string;
    attachments: WireAttachment[];
    formatting: { type: string; start: number; length: number; effectName?: string }[];
    mentions: { address: string; start: number; length: number }[];
    balloonBundleId?: string;
    expressiveSendStyleId?: string;
  };
  subject?: string;
  dateCreated: string;
  dateRead?: string;
  dateDelivered?: string;
  dateEdited?: string;
  dateRetracted?: string;
  sender?: WireAddress;
  isFromMe: boolean;
  isSent: boolean;
  isDelivered: boolean;
  isAudioMessage: boolean;
  itemType: string;
  partCount: number;
  threadOriginatorGuid?: string;
  threadOriginatorPart?: string;
  replyTargetGuid?: string;
  reactionTargetGuid?: string;
  reactionTargetPartIndex?: number;
  reaction?: { kind: string; emoji?: string };
  reactionSelected?: boolean;
  appliedReactions: {
    messageGuid: string;
    targetPartIndex?: number;
    reaction: { kind: string; emoji?: string };
    sender?: WireAddress;
    isFromMe: boolean;
    dateCreated: string;
  }[];
  placedStickers: never[];
  chatGuids: string[];
  destinationCallerId?: string;
}

/** JSON shape of a poll (`PollInfo`). */
export interface WirePoll {
  pollMessageGuid: string;
  chatGuid: string;
  title: string;
  options: { text: string; optionIdentifier: string; creatorHandle?: string }[];
  votes: { participant: WireAddress; optionIdentifier: string }[];
}

/** Snapshot returned by `GET /__sim/state`. */
export interface SimState {
  selfAddress: string;
  chats: WireChat[];
  messages: WireMessage[];
  polls: WirePoll[];
  attachments: WireAttachment[];
  typing: Record<string, boolean>;
}
