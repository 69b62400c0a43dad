/**
 * @module transport/cloud-token
 * Spectrum Cloud iMessage tokens: fetched with the project credentials, cached until shortly before expiry.
 */
import { ChatError, type StateAdapter } from "chat";
import { ValidationError } from "../core/errors.ts";

/** A token request that has not answered after this long is abandoned (a transient failure). */
export const TOKEN_TIMEOUT_MS = 10_000;

/** Tokens for a project: one shared token, or one per dedicated instance with its phone. */
export type CloudGrant =
  | { type: "shared"; token: string; expiresAt: number }
  | { type: "dedicated"; instances: { instance: string; token: string; phone: string }[]; expiresAt: number };

/** Options of {@link createCloudTokenSource}. */
export interface CloudTokenOptions {
  cloudUrl: string;
  projectId: string;
  projectSecret: string;
  /** Shared cache across isolates (the Chat state adapter); memory is used until it is known. */
  state?: () => StateAdapter | undefined;
  /** Refresh this long before expiry (default 60 s). */
  refreshMarginMs?: number;
  /** Abandon a token request after this long (default {@link TOKEN_TIMEOUT_MS}). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The cloud refused the project itself (401/403: wrong credentials; 404: no such project; another
 * 4xx: a request it will never accept). Fixing the configuration fixes it; a retry does not.
 */
export class CloudAuthError extends ValidationError {}

/**
 * The token endpoint could not give a token now (5xx, 429, a network error, a timeout, an answer
 * without a token): a later attempt can succeed. `retryAfterMs` carries the cloud's `Retry-After`.
 */
export class CloudUnavailableError extends ChatError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(`[imessage] ${message}`, "CLOUD_UNAVAILABLE", options.cause);
    this.name = "CloudUnavailableError";
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

interface TokenResponse {
  succeed?: boolean;
  data?: {
    type?: string;
    token?: string;
    expiresIn?: number;
    auth?: Record<string, string>;
    numbers?: Record<string, string>;
  };
  message?: string;
  error?: string;
}

/** `Retry-After` in ms (delta seconds or an HTTP date), when the answer has a usable one. */
function retryAfterMs(headers: Headers): number | undefined {
  const raw = headers.get("retry-after");
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(at - Date.now(), 0);
}

function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** A cached source of cloud grants; concurrent callers share one in-flight request. */
export interface CloudTokenSource {
  grant(): Promise<CloudGrant>;
  /** Drops the cached grant (e.g. after the server rejected the token). */
  invalidate(): Promise<void>;
}

/**
 * Creates the token source for a Spectrum Cloud project.
 *
 * @example
 * ```ts
 * const tokens = createCloudTokenSource({ cloudUrl, projectId, projectSecret, state: () => chat.getState() });
 * const grant = await tokens.grant();
 * ```
 */
export function createCloudTokenSource(options: CloudTokenOptions): CloudTokenSource {
  const margin = options.refreshMarginMs ?? 60_000;
  const cacheKey = `imessage:cloud-grant:${options.projectId}`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  let memory: CloudGrant | undefined;
  let inflight: Promise<CloudGrant> | undefined;
  const fresh = (grant: CloudGrant | null | undefined): grant is CloudGrant =>
    Boolean(grant && grant.expiresAt - margin > Date.now());

  const timeoutMs = options.timeoutMs ?? TOKEN_TIMEOUT_MS;

  async function post(url: string): Promise<{ response: Response; text: string }> {
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers: { authorization: basicAuth(options.projectId, options.projectSecret), "content-type": "application/json" },
        body: "{}",
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { response, text: await response.text() };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw new CloudUnavailableError(
        timedOut
          ? `Spectrum Cloud token request timed out after ${timeoutMs} ms (${url}); a later attempt can succeed`
          : `Spectrum Cloud token request to ${url} failed without an answer (${error instanceof Error ? error.message : String(error)}); a later attempt can succeed — if it keeps failing, check SPECTRUM_CLOUD_URL`,
        { cause: error },
      );
    }
  }

  async function request(): Promise<CloudGrant> {
    const url = `${options.cloudUrl}/projects/${encodeURIComponent(options.projectId)}/imessage/tokens`;
    const { response, text } = await post(url);
    let body: TokenResponse | undefined;
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      body = undefined;
    }
    const said = body?.message ?? body?.error ?? text.slice(0, 200);
    if (response.status === 401 || response.status === 403) {
      throw new CloudAuthError(
        `Spectrum Cloud rejected project "${options.projectId}" (HTTP ${response.status}): check IMESSAGE_PROJECT_ID and IMESSAGE_PROJECT_SECRET`,
      );
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new CloudUnavailableError(`Spectrum Cloud token endpoint answered HTTP ${response.status} (${said}); a later attempt can succeed`, {
        status: response.status,
        retryAfterMs: retryAfterMs(response.headers),
      });
    }
    if (response.status >= 400) {
      throw new CloudAuthError(
        `Spectrum Cloud refused the token request for project "${options.projectId}" (HTTP ${response.status}: ${said}): check IMESSAGE_PROJECT_ID and SPECTRUM_CLOUD_URL`,
      );
    }
    if (!body?.succeed || !body.data) {
      throw new CloudUnavailableError(`Spectrum Cloud token request did not succeed (HTTP ${response.status}): ${said}`, { status: response.status });
    }
    const data = body.data;
    const expiresAt = Date.now() + (data.expiresIn ?? 3600) * 1000;
    if (data.type === "dedicated" || data.auth) {
      const auth = data.auth ?? {};
      const numbers = data.numbers ?? {};
      return {
        type: "dedicated",
        expiresAt,
        instances: Object.entries(auth).map(([instance, token]) => ({ instance, token, phone: numbers[instance] ?? instance })),
      };
    }
    if (!data.token) throw new CloudUnavailableError("Spectrum Cloud answered without a token", { status: response.status });
    return { type: "shared", token: data.token, expiresAt };
  }

  async function load(): Promise<CloudGrant> {
    const state = options.state?.();
    const cached = state ? await state.get<CloudGrant>(cacheKey) : null;
    if (fresh(cached)) return cached;
    const grant = await request();
    if (state) await state.set(cacheKey, grant, Math.max(grant.expiresAt - Date.now() - margin, 1000));
    return grant;
  }

  return {
    async grant() {
      if (fresh(memory)) return memory;
      inflight ??= load().finally(() => {
        inflight = undefined;
      });
      memory = await inflight;
      return memory;
    },
    async invalidate() {
      memory = undefined;
      await options.state?.()?.delete(cacheKey);
    },
  };
}
