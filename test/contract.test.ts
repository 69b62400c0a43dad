/**
 * The Chat SDK's own adapter contract suites (`@chat-adapter/tests`), as every official adapter runs them:
 * the thread-id codec, ignoring the bot's own messages, and a trusted forwarder's `webhookVerifier`
 * (the Vercel Connect contract). The adapter is self-hosted against the simulator.
 */
import {
  connectWebhookContract,
  createMockChatInstance,
  matchers,
  selfMessageContract,
  threadIdContract,
  type ConnectWebhookVerifier,
} from "@chat-adapter/tests";
import type { Adapter } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import type { iMessageThreadId } from "../src/core/thread-id.ts";
import { recordingLogger, SECRET, signedRequest, WEBHOOK_URL } from "./helpers.ts";
import { DM_GUID, silent, simulatorHostPort } from "./outbound-helpers.ts";
import { buildEnvelope } from "./simulator/webhook.ts";

expect.extend(matchers);

const PEER = "+15551234567";
const GROUP_GUID = "any;+;chat0123456789";

/** A self-host adapter on the simulator; the env is empty, so only what is given here applies. */
function adapter(options: { webhookSecret?: string; webhookVerifier?: ConnectWebhookVerifier } = {}) {
  return createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", logger: silent, ...options });
}

/** An inbound DM from the peer (fresh message id), or the echo of one the bot sent. */
function envelope(direction: "inbound" | "outbound" = "inbound"): string {
  const body = buildEnvelope({ chatGuid: DM_GUID, sender: PEER, text: "hello bot", messageId: `contract-${crypto.randomUUID()}` });
  if (body.message) body.message.direction = direction;
  return JSON.stringify(body);
}

const codec = adapter();

threadIdContract<iMessageThreadId>({
  name: "imessage",
  encode: (decoded) => codec.encodeThreadId(decoded),
  decode: (id) => codec.decodeThreadId(id),
  cases: [
    { decoded: { chatGuid: DM_GUID }, encoded: `imessage:${DM_GUID}` },
    { decoded: { chatGuid: "any;-;someone@example.com" }, encoded: "imessage:any;-;someone@example.com" },
    { decoded: { chatGuid: "any;-;a~b@example.com" }, encoded: "imessage:any;-;a~b@example.com" },
    { decoded: { chatGuid: GROUP_GUID }, encoded: `imessage:${GROUP_GUID}` },
    { decoded: { chatGuid: GROUP_GUID, phone: "+15550001111" }, encoded: `imessage:${GROUP_GUID}~+15550001111` },
    { decoded: { chatGuid: DM_GUID, phone: "+15550001111" }, encoded: `imessage:${DM_GUID}~+15550001111` },
  ],
  isDM: { fn: (id) => codec.isDM(id), dmThreadId: `imessage:${DM_GUID}`, nonDmThreadId: `imessage:${GROUP_GUID}` },
});

selfMessageContract({
  name: "imessage",
  setup: async () => {
    const chat = createMockChatInstance({ userName: "bot" });
    const imessage = adapter({ webhookSecret: SECRET });
    await imessage.initialize(chat);
    return { adapter: imessage as Adapter, chat };
  },
  makeOtherMessageRequest: () => signedRequest(envelope("inbound")),
  // Spectrum delivers the bot's own sends back as `direction: "outbound"` echoes.
  makeSelfMessageRequest: () => signedRequest(envelope("outbound")),
});

/** A delivery a trusted forwarder passes on: no Spectrum signature headers, the verifier is the only gate. */
const forwarded = () =>
  new Request(WEBHOOK_URL, { method: "POST", headers: { "content-type": "application/json" }, body: envelope("inbound") });

connectWebhookContract({
  name: "imessage",
  createAdapter: ({ webhookVerifier }) => adapter({ webhookVerifier }) as Adapter,
  createAdapterWithSecretAndVerifier: ({ webhookVerifier }) => adapter({ webhookSecret: SECRET, webhookVerifier }) as Adapter,
  makeWebhookRequest: forwarded,
});

describe("webhookVerifier beyond the contract", () => {
  async function initialized(webhookVerifier: ConnectWebhookVerifier) {
    const logger = recordingLogger();
    const chat = createMockChatInstance({ userName: "bot" });
    const imessage = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "sim_api_key", logger, webhookVerifier });
    await imessage.initialize(chat);
    return { imessage, chat, logger };
  }

  it("parses the string a verifier returns instead of the received body", async () => {
    const unwrapped = envelope("inbound");
    const { imessage, chat } = await initialized(() => unwrapped);
    const wrapped = new Request(WEBHOOK_URL, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ wrapped: true }) });
    expect((await imessage.handleWebhook(wrapped)).status).toBe(200);
    expect(chat.processMessage).toHaveBeenCalledOnce();
  });

  it("answers a throwing verifier 401 without its message, and logs what it threw", async () => {
    const { imessage, chat, logger } = await initialized(() => {
      throw new Error("token expired at the forwarder");
    });
    const response = await imessage.handleWebhook(forwarded());
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain("token expired");
    expect(logger.lines).toContainEqual({ level: "warn", message: "Rejected webhook delivery (401)" });
    expect(chat.processMessage).not.toHaveBeenCalled();
  });

  it("answers 400, not 5xx, when the verified body is not an envelope", async () => {
    const { imessage } = await initialized(() => "not json");
    expect((await imessage.handleWebhook(forwarded())).status).toBe(400);
  });
});
