/**
 * @module Test helper for the simulator's control API (fetch only: runs in workerd and Node).
 */
import type {
  ArmedFault,
  DeliveredMessage,
  DeliveryRecord,
  FaultSpec,
  RecordedRequest,
  RequestFilter,
  SendAttempt,
  SimEventRecord,
  SimProject,
  SimProjectUpdate,
  SimState,
  TokenIssuances,
  WireAttachment,
} from "./types.ts";
import type { DeliveryInput, DeliveryResult, SpectrumEnvelope } from "./webhook.ts";

export { buildEnvelope, signSpectrumWebhook, spectrumWebhookHeaders } from "./webhook.ts";
export type { EnvelopeInput, SpectrumEnvelope, DeliveryInput, DeliveryResult } from "./webhook.ts";
export type * from "./types.ts";

/** Typed access to `/__sim/*`. */
export interface SimulatorClient {
  readonly baseUrl: string;
  requests(filter?: RequestFilter): Promise<RecordedRequest[]>;
  /** Sequence number of the latest recorded request (use as `since`). */
  mark(): Promise<number>;
  reset(): Promise<void>;
  fault(spec: FaultSpec | FaultSpec[]): Promise<ArmedFault[]>;
  /** Disarms one fault (by id) or all of them. */
  clearFaults(id?: number): Promise<void>;
  /**
   * Every attempt on the iMessage routes and every message a phone would show, with the latest
   * sequence number (`mark`, pass it as `since`); `chatPrefix` keeps one scenario's chats.
   */
  sends(filter?: { since?: number; chatPrefix?: string; path?: string }): Promise<{ attempts: SendAttempt[]; delivered: DeliveredMessage[]; mark: number }>;
  /** Puts an inbound message into the server's history without delivering a webhook (what catch-up can find). */
  inbound(envelope: SpectrumEnvelope): Promise<{ stored: boolean; guid?: string }>;
  /**
   * Marks addresses as not opted in to the shared line: writes to them on a shared token answer 403
   * `permission_denied` until an inbound message from them arrives (`/__sim/deliver`, `/__sim/inbound`).
   */
  requireOptIn(addresses: string[]): Promise<string[]>;
  tokenIssuances(): Promise<TokenIssuances>;
  /** Expires issued tokens (only `projectId`'s when given; all tokens otherwise). */
  expireTokens(projectId?: string): Promise<number>;
  project(update: SimProjectUpdate): Promise<SimProject>;
  state(): Promise<SimState>;
  deliver(input: DeliveryInput): Promise<DeliveryResult>;
  deliveries(): Promise<DeliveryRecord[]>;
  events(since?: number): Promise<SimEventRecord[]>;
  /** Adds an inbound attachment with these bytes (as if someone had sent it). */
  seedAttachment(fileName: string, bytes: Uint8Array, options?: { guid?: string; mimeType?: string }): Promise<WireAttachment>;
}

/**
 * A client for the simulator at `baseUrl`.
 *
 * @example
 * const sim = simulatorClient(env.SIMULATOR_URL);
 * await sim.reset();
 * await sim.fault({ match: "/v1/messages:sendText", status: 429, retryAfter: 1 });
 * const sends = await sim.requests({ path: "/v1/messages:sendText" });
 */
export function simulatorClient(baseUrl: string, fetcher: typeof fetch = (input, init) => fetch(input, init)): SimulatorClient {
  const base = baseUrl.replace(/\/+$/, "");
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetcher(`${base}/__sim${path}`, {
      method,
      ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`simulator ${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  return {
    baseUrl: base,
    async requests(filter = {}) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filter)) if (value !== undefined) query.set(key, String(value));
      return (await call<{ requests: RecordedRequest[] }>("GET", `/requests?${query}`)).requests;
    },
    async mark() {
      return (await call<{ mark: number }>("GET", "/requests?since=9007199254740991")).mark;
    },
    async reset() {
      await call("POST", "/reset");
    },
    async fault(spec) {
      return (await call<{ faults: ArmedFault[] }>("POST", "/faults", spec)).faults;
    },
    async clearFaults(id) {
      await call("DELETE", id === undefined ? "/faults" : `/faults/${id}`);
    },
    async sends(filter = {}) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filter)) if (value !== undefined) query.set(key, String(value));
      return await call<{ attempts: SendAttempt[]; delivered: DeliveredMessage[]; mark: number }>("GET", `/sends?${query}`);
    },
    inbound: (envelope) => call<{ stored: boolean; guid?: string }>("POST", "/inbound", { envelope }),
    async requireOptIn(addresses) {
      return (await call<{ pending: string[] }>("POST", "/opt-in", { pending: addresses })).pending;
    },
    tokenIssuances: () => call<TokenIssuances>("GET", "/tokens"),
    async expireTokens(projectId) {
      return (await call<{ expired: number }>("POST", "/tokens:expire", projectId ? { projectId } : {})).expired;
    },
    async project(update) {
      return (await call<{ project: SimProject }>("POST", "/projects", update)).project;
    },
    state: () => call<SimState>("GET", "/state"),
    deliver: (input) => call<DeliveryResult>("POST", "/deliver", input),
    async deliveries() {
      return (await call<{ deliveries: DeliveryRecord[] }>("GET", "/deliveries")).deliveries;
    },
    async events(since = 0) {
      return (await call<{ events: SimEventRecord[] }>("GET", `/events/log?since=${since}`)).events;
    },
    async seedAttachment(fileName, bytes, options = {}) {
      const query = new URLSearchParams({ fileName, ...(options.guid ? { guid: options.guid } : {}), ...(options.mimeType ? { mimeType: options.mimeType } : {}) });
      const response = await fetcher(`${base}/__sim/attachments?${query}`, { method: "POST", body: new Uint8Array(bytes) });
      if (!response.ok) throw new Error(`simulator seedAttachment answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { attachment: WireAttachment }).attachment;
    },
  };
}
