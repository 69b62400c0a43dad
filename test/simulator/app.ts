/**
 * @module The simulator as one web-standard `(Request) => Promise<Response>` function.
 *
 * It serves Spectrum Cloud (`/projects/...`), the iMessage HTTP middleware
 * (`/v1/...`) and the control API (`/__sim/...`), records every non-control
 * request, applies armed faults and replays idempotent writes.
 */
import type { Hono } from "hono";
import { DEFAULT_PROJECTS, TokenRegistry, cloudRoutes } from "./cloud.ts";
import { controlRoutes } from "./control.ts";
import { SimError, codeForStatus, defaultErrorCode, errorResponse } from "./errors.ts";
import { SimulatorEvents } from "./events.ts";
import { Faults } from "./faults.ts";
import { IdempotencyStore, type StoredAnswer } from "./idempotency.ts";
import { imessageRoutes } from "./imessage.ts";
import { OptInGate } from "./opt-in.ts";
import { PhoneWebhooks } from "./phone-webhook.ts";
import { Recorder } from "./recorder.ts";
import { SendLog } from "./sends.ts";
import type { ArmedFault, AttemptOutcome, DeliveryRecord, RecordedRequest, SimProject } from "./types.ts";
import { World } from "./world.ts";
import type { WorldSeed } from "./world.ts";

/** Options of {@link createSimulator}. */
export interface SimulatorOptions {
  /** Projects with their secrets (default: `proj_test`/`secret_test`, `proj_demo`/`secret_demo`). */
  projects?: SimProject[];
  /** Bearer token always accepted by the iMessage routes, like a self-hosted server's API key (default `sim_api_key`). */
  apiKey?: string;
  /** Seed of the in-memory world (restored by reset). */
  world?: WorldSeed;
  /** Receives one line per handled request. */
  logger?: (line: string) => void;
  /** The fetch used to deliver webhooks (default: global fetch). */
  fetch?: typeof fetch;
  /** Pages outside the API (the chat page of `npm start`): asked first for GET requests; `undefined` passes. */
  pages?: (request: Request) => Promise<Response | undefined>;
}

/** A running simulator's request handler and its inspectable parts. */
export interface Simulator {
  fetch(request: Request): Promise<Response>;
  readonly events: SimulatorEvents;
  readonly recorder: Recorder;
  readonly faults: Faults;
  /** Every attempt on the iMessage routes and every message they put into a chat. */
  readonly sends: SendLog;
  readonly tokens: TokenRegistry;
  /** Recipients who have not texted the shared line yet: writes to them answer 403 `permission_denied`. */
  readonly optIn: OptInGate;
  /** Registered webhooks that get outbound echoes and read receipts of the bot's delivered messages (kept by reset). */
  readonly webhooks: PhoneWebhooks;
  readonly deliveries: DeliveryRecord[];
  world(): World;
  /** Clears recorder, send log, world, faults, deliveries, events, idempotency cache and token counters. */
  reset(): void;
}

const dropped = new WeakSet<Response>();

/** Whether the response stands for "destroy the connection without answering" (fault `drop`). */
export function isDropResponse(response: Response): boolean {
  return dropped.has(response);
}

function dropResponse(): Response {
  const response = new Response(null, { status: 599 });
  dropped.add(response);
  return response;
}

const RECORDED_HEADERS = ["authorization", "x-idempotency-key", "x-photon-server", "content-type", "user-agent"] as const;

function recordedHeaders(headers: Headers): RecordedRequest["headers"] {
  const picked: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  return picked;
}

function parsedBody(bytes: Uint8Array, contentType: string | null): unknown {
  if (bytes.byteLength === 0 || !contentType?.includes("json")) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** The chat a request body names: `chatGuid`, or `target.chatGuid` for edits and tapbacks. */
function chatGuidOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const fields = body as { chatGuid?: unknown; target?: { chatGuid?: unknown } };
  const guid = fields.chatGuid ?? fields.target?.chatGuid;
  return typeof guid === "string" ? guid : undefined;
}

/** The text a send carries (`text`, or the text parts of a multipart send). */
function textOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const fields = body as { text?: unknown; parts?: unknown };
  if (typeof fields.text === "string") return fields.text;
  if (!Array.isArray(fields.parts)) return undefined;
  const texts = fields.parts.map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : "")).join("");
  return texts === "" ? undefined : texts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function faultResponse(fault: ArmedFault, path: string): Response {
  const status = fault.status ?? 500;
  const retryAfter = fault.retryAfter;
  if (fault.bodyless) {
    const headers = new Headers({ "content-type": "text/plain" });
    if (retryAfter !== undefined) headers.set("retry-after", String(retryAfter));
    return new Response(`simulated ${status} from an intermediary`, { status, headers });
  }
  if (!path.startsWith("/v1/")) {
    return new Response(JSON.stringify({ succeed: false, code: "SIMULATED_FAULT", message: `simulated ${status}` }), {
      status,
      headers: { "content-type": "application/json", ...(retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {}) },
    });
  }
  const code = codeForStatus(status);
  const retryable = fault.retryable ?? (code === "resource_exhausted" || code === "unavailable" || code === "deadline_exceeded");
  const error = new SimError(code, fault.errorCode ?? defaultErrorCode(code === "not_found" ? "internal" : code), `simulated ${status} (fault ${fault.id})`, {
    retryable,
    source: code === "resource_exhausted" ? "spectrum-imessage" : "upstream",
  });
  return errorResponse(error, { status, retryAfter });
}

/**
 * Builds a simulator. Serve `simulator.fetch` with any web-standard server
 * (see `startSimulator` for node:http).
 *
 * @example
 * const sim = createSimulator({ apiKey: "k" });
 * const res = await sim.fetch(new Request("http://sim/v1/chats:get?chatGuid=any%3B%2B%3Bchat914325730198374", { headers: { authorization: "Bearer k" } }));
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const apiKey = options.apiKey ?? "sim_api_key";
  const log = options.logger ?? (() => {});
  const events = new SimulatorEvents();
  const recorder = new Recorder();
  const faults = new Faults();
  const tokens = new TokenRegistry(options.projects ?? DEFAULT_PROJECTS);
  const deliveries: DeliveryRecord[] = [];
  const idempotent = new IdempotencyStore();
  const sends = new SendLog(events);
  const optIn = new OptInGate();
  const fetcher: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  let world = new World(options.world);

  const simulator: Simulator = {
    fetch: handle,
    events,
    recorder,
    faults,
    sends,
    tokens,
    optIn,
    webhooks: new PhoneWebhooks({ events, deliveries, world: () => world, fetcher }),
    deliveries,
    world: () => world,
    reset() {
      recorder.clear();
      optIn.clear();
      sends.clear();
      faults.clear();
      tokens.reset();
      events.clear();
      idempotent.clear();
      deliveries.length = 0;
      world = new World(options.world);
    },
  };

  const cloud = cloudRoutes(tokens);
  const imessage = imessageRoutes({ world: () => world, events });
  const control = controlRoutes(simulator, fetcher);
  for (const app of [cloud, imessage, control] as Hono[]) {
    app.onError((error) => {
      if (error instanceof SimError) return errorResponse(error);
      log(`simulator: handler failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      return errorResponse(new SimError("internal", "internalError", `simulator bug: ${String(error)}`, { source: "middleware" }));
    });
  }
  imessage.notFound((c) =>
    errorResponse(
      new SimError("unimplemented", "operationNotSupported", `the simulator does not implement ${c.req.method} ${new URL(c.req.url).pathname}`, {
        source: "middleware",
      }),
    ),
  );

  function authorize(request: Request): SimError | undefined {
    const header = request.headers.get("authorization") ?? "";
    if (!header.startsWith("Bearer ")) {
      return new SimError("unauthenticated", "unauthenticated", "missing bearer token: send `authorization: Bearer <token>`", { source: "middleware" });
    }
    const token = header.slice("Bearer ".length);
    if (token === apiKey) return undefined;
    const grant = tokens.grant(token);
    if (!grant) return new SimError("unauthenticated", "unauthenticated", "unknown bearer token: issue one at /projects/{id}/imessage/tokens", { source: "middleware" });
    if (grant.expiresAt <= Date.now()) {
      return new SimError("unauthenticated", "tokenExpired", "bearer token expired: issue a new one", { source: "middleware" });
    }
    const server = request.headers.get("x-photon-server") ?? undefined;
    if (grant.instanceId !== undefined && server !== grant.instanceId) {
      return new SimError("permission_denied", "unauthorized", `this dedicated token works only with x-photon-server: ${grant.instanceId}`, {
        context: { instance: grant.instanceId },
        source: "middleware",
      });
    }
    if (grant.instanceId === undefined && server !== undefined) {
      return new SimError("permission_denied", "unauthorized", `a shared token cannot reach dedicated instance ${server}: omit x-photon-server`, {
        context: { instance: server },
        source: "middleware",
      });
    }
    return undefined;
  }

  /** A shared-line write to a recipient who has not opted in (dedicated tokens and the API key pass). */
  function notOptedIn(request: Request, path: string, fingerprint: string): SimError | undefined {
    const grant = tokens.grant((request.headers.get("authorization") ?? "").replace(/^Bearer /, ""));
    if (!grant || grant.instanceId !== undefined) return undefined;
    const body = parsedBody(new TextEncoder().encode(fingerprint), request.headers.get("content-type"));
    return optIn.check({ method: request.method, path, chatGuid: chatGuidOf(body), body });
  }

  async function answerOf(response: Response): Promise<StoredAnswer> {
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "application/json",
      body: new Uint8Array(await response.arrayBuffer()),
    };
  }

  function replayed(answer: StoredAnswer): Response {
    return new Response(answer.body.slice(), { status: answer.status, headers: { "content-type": answer.contentType } });
  }

  /** Tags what a handled send created with the request's key (for `GET /__sim/sends`). */
  function tagCreated(answer: StoredAnswer, key: string): void {
    const created = parsedBody(answer.body, answer.contentType) as
      | { message?: { guid?: string }; initialMessage?: { guid?: string }; poll?: { pollMessageGuid?: string } }
      | undefined;
    for (const guid of [created?.message?.guid, created?.initialMessage?.guid, created?.poll?.pollMessageGuid]) {
      if (guid) sends.tagKey(guid, key);
    }
  }

  interface Served {
    response: Response;
    outcome: AttemptOutcome;
    conflict?: boolean;
  }

  /** Serves a request; `slowMs` makes the server take that long while it acts (inside the key's window). */
  async function serve(request: Request, path: string, fingerprint: string, slowMs = 0): Promise<Served> {
    if (!path.startsWith("/v1/")) return { response: await cloud.fetch(request), outcome: "handled" };
    const denied = authorize(request) ?? notOptedIn(request, path, fingerprint);
    if (denied) return { response: errorResponse(denied), outcome: "refused" };
    const key = request.method === "POST" ? request.headers.get("x-idempotency-key") : null;
    if (!key) {
      if (slowMs) await sleep(slowMs);
      const response = await imessage.fetch(request);
      return { response, outcome: response.ok ? "handled" : "refused" };
    }
    const decision = idempotent.begin(path, key, fingerprint);
    if (decision.kind === "replay") return { response: replayed(decision.answer), outcome: "replayed", conflict: decision.conflict };
    if (decision.kind === "join") {
      const answer = await decision.answer;
      if (answer) return { response: replayed(answer), outcome: "joined", conflict: decision.conflict };
      return serve(request, path, fingerprint, slowMs);
    }
    let answer: StoredAnswer | undefined;
    try {
      if (slowMs) await sleep(slowMs);
      answer = await answerOf(await imessage.fetch(request));
    } finally {
      decision.finish(answer);
    }
    if (answer.status >= 200 && answer.status < 300) tagCreated(answer, key);
    return { response: replayed(answer), outcome: answer.status < 300 ? "handled" : "refused" };
  }

  /** A fault that stands in for the server (nothing is done), or a slow server (`delayMs` alone). */
  async function before(fault: ArmedFault, request: Request, path: string, fingerprint: string): Promise<Served> {
    if (!fault.expireToken && !fault.drop && fault.status === undefined) return serve(request, path, fingerprint, fault.delayMs);
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.expireToken) {
      const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
      tokens.expireToken(token);
      const expired = new SimError("unauthenticated", "tokenExpired", `bearer token expired mid-flight (fault ${fault.id}): issue a new one`, {
        source: "middleware",
      });
      return { response: errorResponse(expired), outcome: "faulted-before" };
    }
    if (fault.drop) return { response: dropResponse(), outcome: "faulted-before" };
    return { response: faultResponse(fault, path), outcome: "faulted-before" };
  }

  /** The server acts, then the fault delays, drops or replaces its answer. */
  async function after(fault: ArmedFault, request: Request, path: string, fingerprint: string): Promise<Served> {
    const served = await serve(request, path, fingerprint);
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.drop) return { ...served, response: dropResponse(), outcome: "faulted-after" };
    if (fault.status !== undefined) return { ...served, response: faultResponse(fault, path), outcome: "faulted-after" };
    return served;
  }

  async function handle(incoming: Request): Promise<Response> {
    const url = new URL(incoming.url);
    const path = url.pathname;
    if (path.startsWith("/__sim/") || path === "/__sim") return control.fetch(incoming);
    if (options.pages && incoming.method === "GET") {
      const page = await options.pages(incoming);
      if (page) return page;
    }

    const started = Date.now();
    const seq = recorder.nextSeq();
    const bytes = incoming.method === "GET" || incoming.method === "HEAD" ? new Uint8Array() : new Uint8Array(await incoming.arrayBuffer());
    const request = new Request(incoming.url, {
      method: incoming.method,
      headers: incoming.headers,
      ...(bytes.byteLength > 0 ? { body: bytes } : {}),
    });
    const body = parsedBody(bytes, request.headers.get("content-type"));
    const chatGuid = chatGuidOf(body) ?? url.searchParams.get("chatGuid") ?? undefined;
    const server = request.headers.get("x-photon-server") ?? undefined;
    const fault = faults.take({ method: request.method, path, server, authorization: request.headers.get("authorization"), chatGuid });
    const fingerprint = new TextDecoder().decode(bytes);

    const open = path.startsWith("/v1/") ? sends.begin(chatGuid) : undefined;
    let served: Served;
    try {
      served = !fault
        ? await serve(request, path, fingerprint)
        : fault.phase === "after"
          ? await after(fault, request, path, fingerprint)
          : await before(fault, request, path, fingerprint);
    } finally {
      if (open !== undefined) sends.finish(open);
    }
    const { response, outcome } = served;
    const dropped = isDropResponse(response);
    const replay = outcome === "replayed" || outcome === "joined";

    const entry: RecordedRequest = {
      seq,
      at: started,
      method: request.method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers: recordedHeaders(request.headers),
      ...(body !== undefined ? { body } : {}),
      bodyBytes: bytes.byteLength,
      status: dropped ? 0 : response.status,
      ...(dropped ? { dropped: true } : {}),
      ...(replay ? { idempotentReplay: true } : {}),
      ...(fault ? { faulted: true } : {}),
      durationMs: Date.now() - started,
    };
    recorder.add(entry);
    if (path.startsWith("/v1/")) {
      const key = request.headers.get("x-idempotency-key") ?? undefined;
      const text = textOf(body);
      const clientMessageId = (body as { clientMessageId?: unknown } | undefined)?.clientMessageId;
      sends.attempt({
        at: started,
        method: request.method,
        path,
        status: entry.status,
        outcome,
        ...(key ? { idempotencyKey: key } : {}),
        ...(chatGuid ? { chatGuid } : {}),
        ...(text !== undefined ? { text } : {}),
        ...(typeof clientMessageId === "string" ? { clientMessageId } : {}),
        ...(fault ? { faultId: fault.id } : {}),
        ...(served.conflict ? { keyConflict: true } : {}),
      });
    }
    log(`${entry.method} ${path}${url.search} → ${dropped ? "dropped" : entry.status}${replay ? ` (idempotent ${outcome})` : ""}${fault ? ` (fault ${fault.id})` : ""}`);
    return response;
  }

  return simulator;
}
