/**
 * @module reliability/simulator
 * The simulator's reliability instruments, through the real advanced-imessage HTTP client:
 * idempotency keys honoured like a server does, attempts kept apart from delivered messages,
 * fault switches by rate, in bursts, after the server acted, and tokens expiring mid-flight.
 */
import { createHttpClient } from "@photon-ai/advanced-imessage/http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { simulatorClient } from "../simulator/client.ts";
import { startSimulator, type RunningSimulator } from "../simulator/server.ts";

const GROUP = "any;+;chat914325730198374";
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});

afterAll(async () => {
  await sim?.close();
});

function client(token = "sim_api_key", timeout = 2_000) {
  return createHttpClient({ address: sim.url, token, autoIdempotency: true, timeout });
}

async function send(key: string, text: string, chatGuid = GROUP): Promise<Response> {
  return await fetch(`${sim.url}/v1/messages:sendText`, {
    method: "POST",
    headers: { authorization: "Bearer sim_api_key", "content-type": "application/json", "x-idempotency-key": key },
    body: JSON.stringify({ chatGuid, text }),
  });
}

const deliveredTexts = (text: string): number => sim.sends.delivered().filter((d) => d.text === text).length;

describe("idempotency keys", () => {
  it("a repeated key gets the first answer and sends nothing: two attempts, one delivered message", async () => {
    const key = crypto.randomUUID();
    const text = `once ${key}`;
    const first = (await (await send(key, text)).json()) as { message: { guid: string } };
    const second = (await (await send(key, text)).json()) as { message: { guid: string } };
    expect(second.message.guid).toBe(first.message.guid);
    expect(deliveredTexts(text)).toBe(1);
    expect(sim.sends.attempts().filter((a) => a.idempotencyKey === key).map((a) => a.outcome)).toEqual(["handled", "replayed"]);
    const over = await simulatorClient(sim.url).sends({ since: 0 });
    expect(over.delivered.filter((d) => d.text === text)).toEqual([expect.objectContaining({ idempotencyKey: key, kind: "message" })]);
  });

  it("a copy that arrives while the first is still running waits for it instead of sending again", async () => {
    const key = crypto.randomUUID();
    const text = `slow ${key}`;
    sim.faults.arm({ match: "/v1/messages:sendText", chatPrefix: "any;-;+1999", delayMs: 400 });
    const chatGuid = "any;-;+19990000001";
    await simulatorClient(sim.url).inbound({ event: "messages", message: { id: `in-${key}`, sender: { id: "+19990000001" }, space: { id: chatGuid }, content: { type: "text", text: "hi" } } });
    const first = send(key, text, chatGuid);
    // The copy goes out once the server holds the first (it is in its 400 ms delay).
    await vi.waitFor(() => expect(sim.sends.inFlight(chatGuid)).toBe(1), { timeout: 2_000, interval: 5 });
    const [a, b] = await Promise.all([first, send(key, text, chatGuid)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(deliveredTexts(text)).toBe(1);
    expect(sim.sends.attempts().filter((x) => x.idempotencyKey === key).map((x) => x.outcome).sort()).toEqual(["handled", "joined"]);
  });

  it("a key reused with a different body is flagged as a conflict (and still not sent twice)", async () => {
    const key = crypto.randomUUID();
    await send(key, `first ${key}`);
    await send(key, `other ${key}`);
    expect(deliveredTexts(`other ${key}`)).toBe(0);
    expect(sim.sends.attempts().filter((a) => a.idempotencyKey === key).map((a) => a.keyConflict ?? false)).toEqual([false, true]);
  });
});

describe("fault switches", () => {
  it("reset after the server sent: the client sees a network error, the phone shows the message, a retry with the key is a replay", async () => {
    const key = crypto.randomUUID();
    const text = `reset after ${key}`;
    sim.faults.arm({ match: "/v1/messages:sendText", phase: "after", drop: true });
    await expect(send(key, text)).rejects.toThrow();
    expect(deliveredTexts(text)).toBe(1);
    expect((await send(key, text)).status).toBe(200);
    expect(deliveredTexts(text)).toBe(1);
    expect(sim.sends.attempts().filter((a) => a.idempotencyKey === key).map((a) => [a.outcome, a.status])).toEqual([
      ["faulted-after", 0],
      ["replayed", 200],
    ]);
  });

  it("hang before the server acts past the client's timeout: a timeout, nothing sent", async () => {
    const text = `hang before ${crypto.randomUUID()}`;
    sim.faults.arm({ match: "/v1/messages:sendText", delayMs: 800, drop: true });
    await expect(client("sim_api_key", 300).messages.sendText(GROUP, text)).rejects.toMatchObject({ code: "timeout" });
    // The server ends the hang by dropping the request: its attempt is recorded then, with nothing sent.
    await vi.waitFor(() => expect(sim.sends.attempts().filter((a) => a.text === text).map((a) => a.outcome)).toEqual(["faulted-before"]), { timeout: 3_000, interval: 20 });
    expect(deliveredTexts(text)).toBe(0);
  });

  it("a rate fault fires on about that share of matching requests, the same ones for the same seed", async () => {
    const fired = (seed: number): boolean[] => {
      const fault = sim.faults.arm({ match: "/v1/rate-probe", status: 500, rate: 0.25, seed });
      const hits = Array.from({ length: 400 }, () => sim.faults.take({ method: "POST", path: "/v1/rate-probe", server: undefined, authorization: null, chatGuid: undefined }) !== undefined);
      sim.faults.clear(fault.id);
      return hits;
    };
    const run = fired(7);
    const share = run.filter(Boolean).length / run.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.33);
    expect(fired(7)).toEqual(run);
  });

  it("a burst covers consecutive requests, and chatPrefix keeps a fault to its chats", async () => {
    const fault = sim.faults.arm({ match: "/v1/burst-probe", status: 503, times: 1, burst: 3, chatPrefix: "any;-;+1777" });
    const take = (chatGuid: string) =>
      sim.faults.take({ method: "POST", path: "/v1/burst-probe", server: undefined, authorization: null, chatGuid }) !== undefined;
    expect([take("any;-;+1888"), take("any;-;+1777"), take("any;-;+1888"), take("any;-;+1777"), take("any;-;+1777"), take("any;-;+1777")]).toEqual([
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
    expect(fault.fired).toBe(3);
  });

  it("a token expiring mid-flight answers 401 tokenExpired, and stays expired; a fresh token works", async () => {
    const issue = async (): Promise<string> => {
      const response = await fetch(`${sim.url}/projects/proj_test/imessage/tokens`, {
        method: "POST",
        headers: { authorization: `Basic ${btoa("proj_test:secret_test")}` },
      });
      return ((await response.json()) as { data: { token: string } }).data.token;
    };
    const token = await issue();
    sim.faults.arm({ match: "/v1/messages:sendText", token, expireToken: true });
    await expect(client(token).messages.sendText(GROUP, "expires")).rejects.toMatchObject({ code: "tokenExpired" });
    await expect(client(token).chats.get(GROUP)).rejects.toMatchObject({ code: "tokenExpired" });
    expect((await client(await issue()).chats.get(GROUP)).guid).toBe(GROUP);
  });
});
