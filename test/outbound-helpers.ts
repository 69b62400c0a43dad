/**
 * @module test/outbound-helpers
 * Adapters wired to the simulator in cloud and self-host mode, with a Chat around them.
 */
import { env } from "cloudflare:workers";
import { Chat, type Adapter, type Logger } from "chat";
import type { TextFormatting } from "../src/core/config.ts";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import type { iMessageAdapter } from "../src/adapter/imessage-adapter.ts";
import { createMemoryState } from "./memory-state.ts";
import { vi } from "vitest";
import { inOwnDm, seedInbound } from "./helpers.ts";
import { simulatorClient, type RecordedRequest } from "./simulator/client.ts";

export const sim = simulatorClient(env.SIMULATOR_URL);
export const DM = "imessage:any;-;+15551234567";
export const DM_GUID = "any;-;+15551234567";

export const silent: Logger = {
  child: () => silent,
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** `127.0.0.1:<port>` of the simulator: a self-host server address as users write it. */
export const simulatorHostPort = new URL(env.SIMULATOR_URL).host;

export interface Wired {
  adapter: iMessageAdapter;
  chat: Chat<{ imessage: Adapter }>;
  /** Requests the simulator received since this adapter was wired (or since `mark()`). */
  requests(path?: string): Promise<RecordedRequest[]>;
  mark(): Promise<void>;
  projectId?: string;
}

async function wire(adapter: iMessageAdapter, projectId?: string): Promise<Wired> {
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter as Adapter }, state: createMemoryState(), logger: "silent" });
  await chat.initialize();
  let since = await sim.mark();
  return {
    adapter,
    chat,
    projectId,
    async requests(path) {
      const all = await sim.requests({ since, ...(path ? { path } : {}) });
      const token = projectId ? undefined : "Bearer sim_api_key";
      return token ? all.filter((r) => r.headers.authorization === token) : all;
    },
    async mark() {
      since = await sim.mark();
    },
  };
}

/** A self-host adapter (`serverUrl` host:port + `apiKey`). */
export async function selfHosted(options: { timeoutMs?: number; formatting?: TextFormatting } = {}): Promise<Wired> {
  return await wire(
    createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", logger: silent, ...options }),
  );
}

/** A cloud adapter on a project of its own (so token counts and faults are this test's alone). */
export async function cloud(
  options: {
    mode?: "shared" | "dedicated";
    instances?: Record<string, string>;
    expiresIn?: number;
    timeoutMs?: number;
    phone?: string;
    formatting?: TextFormatting;
  } = {},
): Promise<Wired> {
  const projectId = `proj_${crypto.randomUUID().slice(0, 8)}`;
  await sim.project({
    projectId,
    secret: "s3cret",
    mode: options.mode ?? "shared",
    instances: options.instances,
    expiresIn: options.expiresIn ?? 3600,
  });
  const adapter = createiMessageAdapter({
    env: { SPECTRUM_CLOUD_URL: env.SIMULATOR_URL, IMESSAGE_HTTP_ADDRESS: simulatorHostPort },
    projectId,
    projectSecret: "s3cret",
    phone: options.phone,
    timeoutMs: options.timeoutMs,
    formatting: options.formatting,
    logger: silent,
  });
  const wired = await wire(adapter, projectId);
  return wired;
}

/** The bearer token the adapter used on its latest request. */
export async function lastToken(wired: Wired): Promise<string> {
  const requests = await wired.requests();
  const auth = requests.filter((r) => r.path.startsWith("/v1/")).at(-1)?.headers.authorization;
  if (!auth) throw new Error("no request carried a token yet");
  return auth.replace(/^Bearer /, "");
}

/** A DM of its own the simulated server knows, with a unique text; `reply` is what the demo bot answers. */
export async function knownDm(text = `ping ${crypto.randomUUID().slice(0, 8)}`) {
  const dm = inOwnDm("dm-text", { type: "text", text });
  await seedInbound(env.SIMULATOR_URL, dm.body);
  return { ...dm, reply: `You said: ${text}` };
}

/** Replies the simulated server delivered (what a phone would show) in `chatGuid`. */
export async function delivered(chatGuid: string): Promise<string[]> {
  const { delivered: messages } = await sim.sends({ chatPrefix: chatGuid });
  return messages.filter((m) => m.chatGuid === chatGuid).map((m) => m.text ?? "");
}

/** The replies in `chatGuid` once there are at least `count` of them. */
export async function waitForReplies(chatGuid: string, count = 1, timeout = 15_000): Promise<string[]> {
  return await vi.waitFor(
    async () => {
      const found = await delivered(chatGuid);
      if (found.length < count) throw new Error(`${found.length} of ${count} replies so far`);
      return found;
    },
    { timeout, interval: 100 },
  );
}
