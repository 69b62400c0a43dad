/**
 * @module core/config
 * Resolves adapter options and environment fallbacks into one mode: cloud, self-host or local.
 */
import { ConsoleLogger, type Logger } from "chat";
import type { iMessageWebhookVerifier } from "./forwarder.ts";
import { parseDefaultCountry, type CountryCode } from "./addresses.ts";
import { DEFAULT_MAX_ATTACHMENT_BYTES } from "./attachment-bytes.ts";
import { ValidationError } from "./errors.ts";

/** One self-hosted iMessage server reachable by the adapter, and the phone it sends from. */
export interface iMessageClientConfig {
  /** `host:port` of the server, or its `https://host[:port]` URL (mapped to `host:port`, port 443 by default). */
  address: string;
  /** Bearer token the server accepts. */
  token: string;
  /** The phone number this server sends from (`"shared"` when there is one). */
  phone: string;
}

/** Options of {@link createiMessageAdapter}; each falls back to the environment variable beside it. */
export interface iMessageAdapterOptions {
  /** Local macOS mode (`IMESSAGE_LOCAL`). Defaults to local unless remote credentials are given. */
  local?: boolean;
  /** Spectrum Cloud project id (`IMESSAGE_PROJECT_ID`). */
  projectId?: string;
  /** Spectrum Cloud project secret (`IMESSAGE_PROJECT_SECRET`). */
  projectSecret?: string;
  /** Self-hosted server as `host:port` or `https://host[:port]` (`IMESSAGE_SERVER_URL`), mapped as Photon's adapter does. */
  serverUrl?: string;
  /** Self-hosted server token (`IMESSAGE_API_KEY`). */
  apiKey?: string;
  /** Several self-hosted servers, one per phone. */
  clients?: iMessageClientConfig[];
  /** Phone to send from (`IMESSAGE_PHONE`, default `"shared"`). */
  phone?: string;
  /**
   * Country of national phone numbers given to `openDM` (`IMESSAGE_DEFAULT_COUNTRY`), an ISO 3166-1
   * alpha-2 code such as `"US"`: `(956) 517-9045` becomes `+19565179045`. Without it a number needs its `+<country code>`.
   */
  defaultCountry?: string;
  /**
   * Signing secret(s) of the Spectrum webhook (`IMESSAGE_WEBHOOK_SECRET`): the 64-hex `signingSecret`, the
   * `whsec_…` `standardSigningSecret`, or both — and, while rotating, the previous one too. Several are
   * given as an array or comma-separated; a delivery is accepted when any signature verifies under any of them.
   */
  webhookSecret?: string | readonly string[];
  /**
   * For deliveries from a trusted forwarder: `(request, rawBody) => unknown`, called with the request and its
   * raw body as text. Throwing or a falsy result rejects the delivery (401); a returned string replaces the
   * body that is parsed; any other truthy value accepts it. When given it replaces the signature check
   * (`webhookSecret` is not used), as in `@photon-ai/chat-adapter-imessage`.
   */
  webhookVerifier?: iMessageWebhookVerifier;
  /**
   * The bot's name, used to detect `@name` mentions in groups (`IMESSAGE_USER_NAME`). When neither is
   * set the adapter takes the Chat instance's `userName` (`new Chat({ userName })`) on initialize.
   */
  userName?: string;
  /** Logger; defaults to a console logger at "info". */
  logger?: Logger;
  /**
   * Largest inbound attachment `attachment.fetchData()` buffers (`IMESSAGE_MAX_ATTACHMENT_BYTES`, default
   * 96 MiB, safe inside a Worker's 128 MB); larger ones throw, saying to use `attachment.stream()`.
   */
  maxAttachmentBytes?: number;
  /**
   * Where environment fallbacks come from (its string values are read). On Workers pass the Worker
   * `env` binding as it is, typed `Env` (an interface, which `Record<string, unknown>` would reject);
   * when omitted, `process.env` is read (Node, or Workers with `nodejs_compat`).
   */
  env?: object;
  /** Spectrum Cloud API base (`SPECTRUM_CLOUD_URL`, default `https://spectrum.photon.codes`). */
  cloudUrl?: string;
  /** Address of the cloud's HTTP middleware (`IMESSAGE_HTTP_ADDRESS`). */
  httpAddress?: string;
  /** Per-call timeout of outbound HTTP calls in ms (default 15000). */
  timeoutMs?: number;
  /**
   * How markdown is sent (`IMESSAGE_FORMATTING`). `"plain"` (default): emphasis markers are dropped and
   * the text is sent as is. `"styled"`: `{ markdown }` and `{ ast }` posts keep bold, italic,
   * strikethrough and `<u>underline</u>` as native iMessage text formatting (ranges in UTF-16 code
   * units); strings and `{ raw }` stay plain. Edits are always plain (the edit API takes text only).
   */
  formatting?: TextFormatting;
}

/** How markdown reaches iMessage: stripped to plain text, or as native text formatting. */
export type TextFormatting = "plain" | "styled";

/** Settings every mode shares. */
interface CommonConfig {
  phone: string;
  webhookSecret: string | readonly string[] | undefined;
  /** A trusted forwarder's verifier; when set it decides instead of the signature. */
  webhookVerifier?: iMessageWebhookVerifier;
  userName: string;
  /** True when neither `userName` nor `IMESSAGE_USER_NAME` named the bot: the Chat's `userName` replaces `userName` on initialize. */
  userNameFromChat?: boolean;
  logger: Logger;
  timeoutMs: number;
  formatting: TextFormatting;
  /** Country of national phone numbers (`defaultCountry` / `IMESSAGE_DEFAULT_COUNTRY`). */
  defaultCountry: CountryCode | undefined;
  /** Largest attachment `fetchData` buffers. */
  maxAttachmentBytes: number;
}

/** Spectrum Cloud: tokens come from the project credentials. */
export interface CloudConfig extends CommonConfig {
  mode: "cloud";
  projectId: string;
  projectSecret: string;
  cloudUrl: string;
  httpAddress: string;
}

/** Self-hosted: one or more servers with static tokens. */
export interface SelfHostConfig extends CommonConfig {
  mode: "self-host";
  clients: iMessageClientConfig[];
}

/** Local macOS Messages database (Node only, see `local-bridge/`). */
export interface LocalConfig extends CommonConfig {
  mode: "local";
}

/** The adapter's configuration after options, environment and defaults are merged. */
export type ResolvedConfig = CloudConfig | SelfHostConfig | LocalConfig;

export const SHARED_PHONE = "shared";
export const DEFAULT_CLOUD_URL = "https://spectrum.photon.codes";
export const DEFAULT_CLOUD_HTTP_ADDRESS = "imessage.spectrum.photon.codes:443";

export const MISSING_CREDENTIALS =
  "Provide cloud credentials (IMESSAGE_PROJECT_ID + IMESSAGE_PROJECT_SECRET), or a self-host IMESSAGE_SERVER_URL + IMESSAGE_API_KEY";

/** Reads the environment fallbacks: the explicit `env` binding when given, else `process.env` when it exists. */
export function readEnv(env: object | undefined): (name: string) => string | undefined {
  const source = (env as Readonly<Record<string, unknown>> | undefined) ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return (name) => {
    const value = source?.[name];
    if (typeof value !== "string") return undefined;
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  };
}

function parseBoolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ValidationError(`${name} must be "true" or "false", got "${value}"`);
}

function parseFormatting(value: string | undefined): TextFormatting {
  if (value === undefined) return "plain";
  const normalized = value.trim().toLowerCase();
  if (normalized === "plain" || normalized === "styled") return normalized;
  throw new ValidationError(`IMESSAGE_FORMATTING (formatting) must be "plain" or "styled", got "${value}"`);
}

/**
 * Checks a self-host server address and maps a URL to it as Photon's adapter does (`deriveAddress`):
 * `https://host` → `host:443`, `https://host:8443` → `host:8443`; `host:port` stays as it is. An
 * `http://` URL keeps its scheme (this transport is HTTP: plain HTTP is then what it speaks).
 *
 * @example
 * ```ts
 * assertServerAddress("imessage.example.com:443"); // "imessage.example.com:443"
 * assertServerAddress("https://imessage.example.com/"); // "imessage.example.com:443"
 * ```
 */
export function assertServerAddress(serverUrl: string, source = "IMESSAGE_SERVER_URL"): string {
  const trimmed = serverUrl.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new ValidationError(`${source} is not a valid URL: got "${serverUrl}". Write https://host[:port] or host:port`);
    }
    const scheme = url.protocol.slice(0, -1).toLowerCase();
    if (scheme !== "https" && scheme !== "http") {
      throw new ValidationError(`${source} must be https://host[:port] or host:port (e.g. imessage.example.com:443), got "${serverUrl}"`);
    }
    if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
      throw new ValidationError(`${source} names a server, not a page: drop the credentials, path or query from "${serverUrl}" (e.g. https://imessage.example.com:443)`);
    }
    return scheme === "https" ? `${url.hostname}:${url.port || "443"}` : `http://${url.hostname}:${url.port || "80"}`;
  }
  if (!/^(\[[0-9a-f:.]+\]|[^\s:/]+)(:\d{1,5})?$/i.test(trimmed)) {
    throw new ValidationError(`${source} must look like host:port or https://host[:port] (e.g. imessage.example.com:443), got "${serverUrl}"`);
  }
  return trimmed;
}

/** The attachment buffering cap: a positive whole number of bytes, default {@link DEFAULT_MAX_ATTACHMENT_BYTES}. */
function parseByteLimit(value: number | string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_MAX_ATTACHMENT_BYTES;
  const bytes = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new ValidationError(`IMESSAGE_MAX_ATTACHMENT_BYTES (maxAttachmentBytes) must be a positive whole number of bytes, got "${value}"`);
  }
  return bytes;
}

/** The option's secrets, or undefined when it names none (then the env fallback applies). */
function nonEmptySecrets(value: string | readonly string[] | undefined): string | readonly string[] | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  const list = value?.map((secret) => secret.trim()).filter(Boolean);
  return list && list.length > 0 ? list : undefined;
}

/**
 * Merges options, environment fallbacks and defaults, and detects the mode.
 * Local unless `local: false`, `IMESSAGE_LOCAL=false`, or remote credentials are given.
 *
 * @example
 * ```ts
 * const config = resolveConfig({ env }); // on Workers, env is the Worker binding
 * if (config.mode === "cloud") console.log(config.projectId);
 * ```
 */
export function resolveConfig(options: iMessageAdapterOptions = {}): ResolvedConfig {
  const env = readEnv(options.env);
  const common: CommonConfig = {
    phone: options.phone ?? env("IMESSAGE_PHONE") ?? SHARED_PHONE,
    webhookSecret: nonEmptySecrets(options.webhookSecret) ?? env("IMESSAGE_WEBHOOK_SECRET"),
    ...(options.webhookVerifier ? { webhookVerifier: options.webhookVerifier } : {}),
    userName: options.userName ?? env("IMESSAGE_USER_NAME") ?? "bot",
    userNameFromChat: (options.userName ?? env("IMESSAGE_USER_NAME")) === undefined,
    logger: options.logger ?? new ConsoleLogger("info").child("imessage"),
    timeoutMs: options.timeoutMs ?? 15_000,
    formatting: parseFormatting(options.formatting ?? env("IMESSAGE_FORMATTING")),
    defaultCountry: parseDefaultCountry(options.defaultCountry?.trim() || env("IMESSAGE_DEFAULT_COUNTRY")),
    maxAttachmentBytes: parseByteLimit(options.maxAttachmentBytes ?? env("IMESSAGE_MAX_ATTACHMENT_BYTES")),
  };
  const projectId = options.projectId ?? env("IMESSAGE_PROJECT_ID");
  const projectSecret = options.projectSecret ?? env("IMESSAGE_PROJECT_SECRET");
  const serverUrl = options.serverUrl?.trim() || env("IMESSAGE_SERVER_URL");
  const apiKey = options.apiKey?.trim() || env("IMESSAGE_API_KEY");
  const clients = options.clients?.filter(Boolean) ?? [];
  const hasCloud = Boolean(projectId && projectSecret);
  const hasSelfHost = clients.length > 0 || Boolean(serverUrl || apiKey);

  const local = options.local ?? parseBoolean("IMESSAGE_LOCAL", env("IMESSAGE_LOCAL"));
  if (local === true || (local === undefined && !hasCloud && !hasSelfHost)) {
    return { ...common, mode: "local" };
  }
  if (hasCloud) {
    return {
      ...common,
      mode: "cloud",
      projectId: projectId as string,
      projectSecret: projectSecret as string,
      cloudUrl: (options.cloudUrl ?? env("SPECTRUM_CLOUD_URL") ?? DEFAULT_CLOUD_URL).replace(/\/+$/, ""),
      httpAddress: options.httpAddress ?? env("IMESSAGE_HTTP_ADDRESS") ?? DEFAULT_CLOUD_HTTP_ADDRESS,
    };
  }
  if (clients.length > 0) {
    for (const client of clients) {
      if (!client.token) throw new ValidationError(`clients[] entry for ${client.address} has no token`);
    }
    return {
      ...common,
      mode: "self-host",
      clients: clients.map((c) => ({ ...c, address: assertServerAddress(c.address, "clients[].address"), phone: c.phone || SHARED_PHONE })),
    };
  }
  if (serverUrl && apiKey) {
    return {
      ...common,
      mode: "self-host",
      clients: [{ address: assertServerAddress(serverUrl), token: apiKey, phone: common.phone }],
    };
  }
  if (serverUrl) assertServerAddress(serverUrl);
  throw new ValidationError(
    projectId || projectSecret
      ? `${MISSING_CREDENTIALS}: ${projectId ? "IMESSAGE_PROJECT_SECRET" : "IMESSAGE_PROJECT_ID"} is missing`
      : serverUrl
        ? `${MISSING_CREDENTIALS}: IMESSAGE_API_KEY is missing`
        : apiKey
          ? `${MISSING_CREDENTIALS}: IMESSAGE_SERVER_URL is missing`
          : MISSING_CREDENTIALS,
  );
}
