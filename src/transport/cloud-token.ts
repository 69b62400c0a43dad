/**
 * @module transport/cloud-token
 * Spectrum Cloud iMessage tokens: fetched with the project credentials, cached until shortly before expiry.
 */
import type { StateAdapter } from "chat";
import { ValidationError } from "../adapter/errors.ts";

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
  fetch?: typeof fetch;
}

/** Thrown when the cloud refuses the project credentials or answers something unexpected. */
export class CloudAuthError extends ValidationError {}

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

  async function request(): Promise<CloudGrant> {
    const url = `${options.cloudUrl}/projects/${encodeURIComponent(options.projectId)}/imessage/tokens`;
    const response = await doFetch(url, {
      method: "POST",
      headers: { authorization: basicAuth(options.projectId, options.projectSecret), "content-type": "application/json" },
      body: "{}",
    });
    const text = await response.text();
    let body: TokenResponse | undefined;
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      body = undefined;
    }
    if (response.status === 401 || response.status === 403) {
      throw new CloudAuthError(
        `Spectrum Cloud rejected project "${options.projectId}" (HTTP ${response.status}): check IMESSAGE_PROJECT_ID and IMESSAGE_PROJECT_SECRET`,
      );
    }
    if (!response.ok || !body?.succeed || !body.data) {
      throw new CloudAuthError(
        `Spectrum Cloud token request failed (HTTP ${response.status}): ${body?.message ?? body?.error ?? text.slice(0, 200)}`,
      );
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
    if (!data.token) throw new CloudAuthError("Spectrum Cloud answered without a token");
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
