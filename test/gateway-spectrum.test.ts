/**
 * The gateway Durable Object's spectrum-ts app: envelopes reach its message stream, sends through
 * its spaces go out over the HTTP transport, user handlers run on it, and it is rebuilt after an eviction.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { SlimEnvelope } from "@spectrum-ts/core/webhook";
import { poll } from "spectrum-ts";
import { describe, expect, it, vi } from "vitest";
import { createGatewayDurableObject } from "../src/durable-objects/gateway.ts";
import { spaceOf } from "../src/adapter/inbound/parse.ts";
import { gatewayStub } from "../src/durable-objects/gateway.ts";
import { createMemoryLedger } from "../src/ledger/ledger.ts";
import { httpIMessage } from "../src/gateway/http-imessage-provider.ts";
import { gatewaySpectrum, type GatewaySpectrumApp } from "../src/spectrum.ts";
import { createDemoBot } from "../demo/bot.ts";
import { fixture, openRelay, seedInbound, withFreshId } from "./helpers.ts";
import { simulatorClient } from "./simulator/client.ts";

const SIMULATOR_URL = (env as unknown as { SIMULATOR_URL: string }).SIMULATOR_URL;
const sim = simulatorClient(SIMULATOR_URL);
const GROUP = "any;+;chat914325730198374";
const gateway = () => gatewayStub(env.GATEWAY);
/** The app of the Worker's gateway (its class plugs in `gatewaySpectrum()`). */
const appOf = async (gatewayObject: { spectrumApp(): Promise<unknown> }) => (await gatewayObject.spectrumApp()) as GatewaySpectrumApp;

/** The group fixture with a fresh id and text of its own. */
function groupEnvelope(text = `spectrum ${crypto.randomUUID()}`): SlimEnvelope {
  const envelope = JSON.parse(withFreshId(fixture("group-text"))) as SlimEnvelope & { message: { content: { text: string } } };
  envelope.message.content.text = text;
  return envelope;
}

async function streamed(messageId: string) {
  return await vi.waitFor(
    async () => {
      const status = await gateway().spectrumStatus();
      const event = status.events.find((e) => e.id === messageId);
      if (!event) throw new Error(`message ${messageId} not in the spectrum stream yet: ${JSON.stringify(status)}`);
      return event;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe("the gateway's spectrum-ts app", () => {
  it("sees a group message handed to recordSpace with its envelope, as the spectrum message model", async () => {
    const envelope = groupEnvelope();
    await gateway().recordSpace(spaceOf(envelope), envelope);

    expect(await streamed(envelope.message.id)).toEqual({
      id: envelope.message.id,
      platform: "imessage",
      spaceId: GROUP,
      direction: "inbound",
      sender: "friend@example.com",
      contentType: "text",
      text: (envelope.message.content as unknown as { text: string }).text,
      timestamp: "2026-11-20T17:05:00.000Z",
    });
    expect(await gateway().lookupSpace(GROUP)).toMatchObject({ type: "group", phone: "+15550001111" });
  });

  it("sees a relayed event once, after the bot acked it (a retried event is not streamed again)", async () => {
    const { socket, replies } = await openRelay<{ id: string; duplicate?: boolean }>();

    const envelope = groupEnvelope();
    const frame = JSON.stringify({ type: "event", id: `evt-${crypto.randomUUID()}`, envelope });
    socket.send(frame);
    await vi.waitFor(() => expect(replies).toHaveLength(1), { timeout: 10_000 });
    socket.send(frame);
    await vi.waitFor(() => expect(replies[1]).toMatchObject({ duplicate: true }), { timeout: 10_000 });

    expect(await streamed(envelope.message.id)).toMatchObject({ spaceId: GROUP, contentType: "text" });
    const { events } = await gateway().spectrumStatus();
    expect(events.filter((e) => e.id === envelope.message.id)).toHaveLength(1);
    socket.close(1000, "done");
  });

  it("sends text and typing through a space of the app over the HTTP transport", async () => {
    const since = await sim.mark();
    const text = `from spectrum ${crypto.randomUUID()}`;
    await runInDurableObject(gateway(), async (gatewayObject) => {
      const space = await httpIMessage(await appOf(gatewayObject)).space.get(GROUP);
      expect(space).toMatchObject({ id: GROUP, type: "group", phone: "+15550001111" });
      await space.startTyping();
      const sent = await space.send(text);
      expect(sent).toMatchObject({ platform: "imessage", direction: "outbound", content: { type: "text", text } });
    });

    const sends = await sim.requests({ path: "/v1/messages:sendText", since });
    expect(sends.map((s) => s.body)).toEqual([expect.objectContaining({ chatGuid: GROUP, text })]);
    expect(await sim.requests({ path: "/v1/chats:setTyping", since })).toHaveLength(1);
  });

  it("skips content the HTTP provider does not send (spectrum-ts warns and resolves undefined)", async () => {
    const since = await sim.mark();
    await runInDurableObject(gateway(), async (gatewayObject) => {
      const space = await httpIMessage(await appOf(gatewayObject)).space.get(GROUP);
      await expect(space.send(poll("Lunch?", ["pizza", "sushi"]))).resolves.toBeUndefined();
    });
    expect(await sim.requests({ path: "/v1/polls", since })).toEqual([]);
  });

  it("runs handlers registered through the factory options: a tapback and a reply to a streamed message", async () => {
    const envelope = groupEnvelope(`react to me ${crypto.randomUUID()}`);
    await seedInbound(SIMULATOR_URL, JSON.stringify(envelope)); // the server knows the message the handler reacts to
    const since = await sim.mark();
    const built: string[] = [];
    const Gateway = createGatewayDurableObject(createDemoBot, {
      spectrum: gatewaySpectrum({
        onSpectrumApp: (app) => void built.push(app.config?.id ?? "no project"),
        onSpectrumMessage: async (space, message) => {
          await message.react("👍");
          await space.send(`seen ${message.id}`);
        },
      }),
    });

    await runInDurableObject(gateway(), async (_instance, state) => {
      const gatewayObject = new Gateway(state, env);
      await gatewayObject.recordSpace(spaceOf(envelope), envelope);
      await vi.waitFor(async () => expect(await sim.requests({ path: "/v1/messages:sendText", since })).toHaveLength(1), { timeout: 10_000 });
      await gatewayObject.stopSpectrum();
    });

    expect(built).toEqual(["proj_test"]);
    const reactions = await sim.requests({ path: "/v1/messages:setReaction", since });
    expect(reactions.map((r) => r.body)).toEqual([{
        target: { chatGuid: GROUP, messageGuid: envelope.message.id },
        reaction: { kind: "MESSAGE_REACTION_KIND_LIKE" },
        isSet: true,
      }]);
    const sends = await sim.requests({ path: "/v1/messages:sendText", since });
    expect(sends.map((s) => s.body)).toEqual([expect.objectContaining({ chatGuid: GROUP, text: `seen ${envelope.message.id}` })]);
  });

  it("is opt-in: a gateway class built without `spectrum` records spaces and says how to plug the app in", async () => {
    const envelope = groupEnvelope();
    const Plain = createGatewayDurableObject(createDemoBot);
    await runInDurableObject(gateway(), async (_instance, state) => {
      const plain = new Plain(state, env);
      await plain.recordSpace(spaceOf(envelope), envelope);
      expect(await plain.lookupSpace(GROUP)).toMatchObject({ type: "group" });
      await expect(plain.spectrumStatus()).rejects.toThrow(/with gatewaySpectrum from chat-adapter-imessage\/spectrum/);
    });
  });

  // evictDurableObject takes about 15 s.
  it("is rebuilt lazily after the Durable Object is evicted", { timeout: 40_000 }, async () => {
    const before = groupEnvelope();
    await gateway().recordSpace(spaceOf(before), before);
    await streamed(before.message.id);

    await evictDurableObject(gateway());
    expect(await gateway().spectrumStatus()).toEqual({ delivered: 0, events: [] });

    const after = groupEnvelope();
    await gateway().recordSpace(spaceOf(after), after);
    expect(await streamed(after.message.id)).toMatchObject({ spaceId: GROUP });
    const since = await sim.mark();
    await runInDurableObject(gateway(), async (gatewayObject) => {
      await (await httpIMessage(await appOf(gatewayObject)).space.get(GROUP)).send("after eviction");
    });
    expect((await sim.requests({ path: "/v1/messages:sendText", since })).map((s) => s.body)).toEqual([
      expect.objectContaining({ chatGuid: GROUP, text: "after eviction" }),
    ]);
  });
});

describe("webhook deliveries reach the gateway's spectrum-ts app", () => {
  it("a signed group delivery is recorded with its envelope and streamed", async () => {
    const { Chat } = await import("chat");
    const { createiMessageAdapter } = await import("../src/adapter/create.ts");
    const { createGatewaySpaceDirectory } = await import("../src/spaces/gateway-directory.ts");
    const { createMemoryState } = await import("./memory-state.ts");
    const { signedRequest } = await import("./helpers.ts");
    const adapter = createiMessageAdapter({
      env: env as unknown as Record<string, unknown>,
      // Handlers recorded in this isolate: the in-process ledger, not the env's DELIVERY_LEDGER (which runs the demo bot).
      ledger: createMemoryLedger(),
      spaces: createGatewaySpaceDirectory(env.GATEWAY, { streamEnvelopes: true }),
      logger: { child: () => adapter.logger, debug() {}, info() {}, warn() {}, error() {} } as never,
    });
    const chat = new Chat({ userName: "nobody", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
    const envelope = groupEnvelope();
    const tasks: Promise<unknown>[] = [];
    const response = await chat.webhooks.imessage(await signedRequest(JSON.stringify(envelope)), { waitUntil: (t) => tasks.push(t) });
    await Promise.all(tasks);
    expect(response.status).toBe(200);
    expect(await streamed(envelope.message.id)).toMatchObject({ id: envelope.message.id, spaceId: GROUP, contentType: "text" });
  });
});
