/**
 * @module transport/clients
 * One advanced-imessage HTTP client per phone line, for cloud (shared or dedicated) and self-host modes.
 */
import { createHttpClient, type AdvancedIMessage } from "@photon-ai/advanced-imessage/http";
import type { StateAdapter } from "chat";
import type { CloudConfig, SelfHostConfig } from "../core/config.ts";
import { SHARED_PHONE } from "../core/config.ts";
import { ValidationError } from "../core/errors.ts";
import { httpOrigin } from "./address.ts";
import { createCloudTokenSource, TOKEN_TIMEOUT_MS } from "./cloud-token.ts";
import { withTokenRenewal } from "./reauth.ts";

/** Retries of calls the server marks retryable (429, 5xx), with backoff between attempts. */
export const RETRY = { maxAttempts: 4, initialDelay: 250, maxDelay: 4000 } as const;

/** Picks the client for a thread's phone line. */
export interface Transport {
  clientFor(phone: string | undefined): Promise<AdvancedIMessage>;
  /** Every configured line (phone → client), e.g. for a gateway that watches them all. */
  lines(): Promise<{ phone: string; client: AdvancedIMessage }[]>;
}

interface Line {
  phone: string;
  client: AdvancedIMessage;
}

function pick(lines: Line[], phone: string | undefined, defaultPhone: string): AdvancedIMessage {
  if (lines.length === 1) return (lines[0] as Line).client;
  const wanted = phone && phone !== SHARED_PHONE ? phone : defaultPhone;
  const line = lines.find((l) => l.phone === wanted) ?? (wanted === SHARED_PHONE ? lines[0] : undefined);
  if (!line) {
    throw new ValidationError(
      `no iMessage line for phone "${wanted}": configured lines are ${lines.map((l) => l.phone).join(", ")}`,
    );
  }
  return line.client;
}

function httpClient(address: string, token: string | (() => Promise<string>), timeout: number, server?: string): AdvancedIMessage {
  return createHttpClient({ address: httpOrigin(address), token, retry: RETRY, autoIdempotency: true, timeout, server });
}

/**
 * Builds the transport of a remote mode.
 *
 * @example
 * ```ts
 * const transport = createTransport(config, () => chat.getState());
 * await (await transport.clientFor(undefined)).messages.sendText("any;-;+15551234567", "hi");
 * ```
 */
export function createTransport(config: CloudConfig | SelfHostConfig, state: () => StateAdapter | undefined): Transport {
  if (config.mode === "self-host") {
    const lines = config.clients.map((c) => ({ phone: c.phone, client: httpClient(c.address, c.token, config.timeoutMs) }));
    return {
      clientFor: async (phone) => pick(lines, phone, config.phone),
      lines: async () => lines,
    };
  }

  const tokens = createCloudTokenSource({
    cloudUrl: config.cloudUrl,
    projectId: config.projectId,
    projectSecret: config.projectSecret,
    state,
    // A token request waits no longer than any other outbound call (`timeoutMs`), at most 10 s.
    timeoutMs: Math.min(config.timeoutMs, TOKEN_TIMEOUT_MS),
  });
  const shared = withTokenRenewal(
    httpClient(
      config.httpAddress,
      async () => {
        const grant = await tokens.grant();
        if (grant.type !== "shared") throw new ValidationError("project switched to dedicated numbers; restart the bot");
        return grant.token;
      },
      config.timeoutMs,
    ),
    tokens,
  );
  const dedicated = new Map<string, Line>();
  const { httpAddress, timeoutMs } = config;

  async function currentLines(): Promise<Line[]> {
    const grant = await tokens.grant();
    if (grant.type === "shared") return [{ phone: SHARED_PHONE, client: shared }];
    return grant.instances.map(({ instance, phone }) => {
      let line = dedicated.get(instance);
      if (!line) {
        const token = async () => {
          const latest = await tokens.grant();
          const match = latest.type === "dedicated" ? latest.instances.find((i) => i.instance === instance) : undefined;
          if (!match) throw new ValidationError(`dedicated instance "${instance}" is no longer granted to this project`);
          return match.token;
        };
        line = { phone, client: withTokenRenewal(httpClient(httpAddress, token, timeoutMs, instance), tokens) };
        dedicated.set(instance, line);
      }
      return line;
    });
  }

  return {
    clientFor: async (phone) => pick(await currentLines(), phone, config.phone),
    lines: currentLines,
  };
}
