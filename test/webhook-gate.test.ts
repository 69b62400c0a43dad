/**
 * The gate decides, not the handler: hostile or malformed input that passes the signature check is
 * refused (4xx) or acknowledged and skipped at the gate — never accepted and then lost, never a 5xx
 * with internal error text — and bad secrets are refused where they are read.
 */
import { Chat } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { fixture, inOwnDm, signedRequest, through, withFreshId, WEBHOOK_URL } from "./helpers.ts";
import { createMemoryState } from "./memory-state.ts";
import { silent } from "./outbound-helpers.ts";
import worker from "../demo/index.ts";

const now = () => Math.floor(Date.now() / 1000);
const bytes = (n: number) => new Uint8Array(n).map((_, i) => (i * 13 + 5) & 0xff);
const base64 = (key: Uint8Array) => btoa(String.fromCharCode(...key));

async function standardRequest(key: Uint8Array, body: string, id = `msg_${crypto.randomUUID()}`): Promise<Request> {
  const ts = now();
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(`${id}.${ts}.${body}`));
  return new Request(WEBHOOK_URL, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": `v1,${base64(new Uint8Array(mac))}`,
    },
    body,
  });
}

function relayed(inner: Record<string, unknown>): string {
  return JSON.stringify({ type: "message.received", schemaVersion: 1, eventId: "evt_gate", platform: "imessage", projectId: "p", prevSubjectSeq: 0, request: inner });
}

/** An adapter with its own secret and the runs of its handlers. */
function botWith(webhookSecret: string) {
  const adapter = createiMessageAdapter({ env: { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s" }, webhookSecret, logger: silent });
  const chat = new Chat({ userName: "bot", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
  const seen: string[] = [];
  chat.onNewMention(async (_thread, message) => void seen.push(message.text));
  const send = async (request: Request) => {
    const tasks: Promise<unknown>[] = [];
    const response = await chat.webhooks.imessage(request, { waitUntil: (task) => void tasks.push(task) });
    await Promise.all(tasks);
    return response;
  };
  return { send, seen };
}

describe("the gate", () => {
  it("a 463-character webhook id and a 1,000-character message id are bounded, accepted and handled", async () => {
    const bot = botWith("whsec_test");
    const json = JSON.parse(withFreshId(fixture("dm-text")));
    json.message.id = `M${"x".repeat(999)}`;
    const response = await bot.send(await signedRequest(JSON.stringify(json), { webhookId: "w".repeat(463) }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "accepted", key: expect.stringMatching(/^msg#[0-9a-f]{64}$/) });
    expect(bot.seen).toHaveLength(1);
  });

  it("the same through the Worker's durable ledger: 200, never a KV key-length 500", async () => {
    const dm = inOwnDm("dm-text");
    const json = JSON.parse(dm.body);
    json.message.id = `M${"y".repeat(999)}`;
    const response = await through(worker, await signedRequest(JSON.stringify(json), { webhookId: "w".repeat(463) }));
    expect(response.status).toBe(200);
  });

  it("a message id over 1,024 characters → 400", async () => {
    const json = JSON.parse(withFreshId(fixture("dm-text")));
    json.message.id = "z".repeat(1025);
    const response = await botWith("whsec_test").send(await signedRequest(JSON.stringify(json)));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/message\.id must be/);
  });

  it("an object nested 2,500 levels deep inside message → 400 at the gate, no handler runs", async () => {
    const bot = botWith("whsec_test");
    const json = JSON.parse(withFreshId(fixture("dm-text")));
    let deep: Record<string, unknown> = {};
    json.message.extra = deep;
    for (let i = 0; i < 2500; i++) {
      const next: Record<string, unknown> = {};
      deep.n = next;
      deep = next;
    }
    const response = await bot.send(await signedRequest(JSON.stringify(json)));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/nested deeper than 32 levels/);
    expect(bot.seen).toEqual([]);
  });

  it("an unknown content type reaches the bot as a message with empty text and its raw content, never dropped", async () => {
    const bot = botWith("whsec_test");
    const json = JSON.parse(withFreshId(fixture("dm-text")));
    json.message.content = { type: "hologram", frames: 3 };
    const response = await bot.send(await signedRequest(JSON.stringify(json)));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "accepted" });
    expect(bot.seen).toEqual([""]);
  });

  it("Standard Webhooks: a signed body whose rawBodyBase64 is not base64 → 400, not a 500 with atob's text", async () => {
    const key = bytes(32);
    const bot = botWith(`whsec_${base64(key)}`);
    const response = await bot.send(await standardRequest(key, relayed({ method: "POST", path: "/", headers: {}, bodyEncoding: "base64", rawBodyBase64: "!" })));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/rawBodyBase64 is not valid base64/);
  });

  it("Standard Webhooks: a wrong signature → 401; a webhook-id with a dot → 400", async () => {
    const key = bytes(32);
    const bot = botWith(`whsec_${base64(key)}`);
    const body = relayed({ method: "POST", path: "/", headers: {}, bodyEncoding: "json", body: JSON.parse(withFreshId(fixture("dm-text"))) });
    const wrong = await standardRequest(bytes(24), body);
    expect((await bot.send(wrong)).status).toBe(401);
    const dotted = await bot.send(await standardRequest(key, body, "msg.with.dots"));
    expect(dotted.status).toBe(400);
    expect(((await dotted.json()) as { error: string }).error).toMatch(/without dots/);
    const fine = await bot.send(await standardRequest(key, body));
    expect(fine.status).toBe(200);
    expect(bot.seen).toHaveLength(1);
  });

  for (const [name, secret, signingKey] of [
    ["whsec_!!!! (decodes to nothing)", "whsec_!!!!", new TextEncoder().encode("whsec_!!!!")],
    ["a secret of 10 bytes", `whsec_${base64(bytes(10))}`, bytes(10)],
  ] as const) {
    it(`a whsec_ secret that is ${name} verifies no Standard signature → 401 saying what to configure, never a 500`, async () => {
      const bot = botWith(secret);
      const body = relayed({ method: "POST", path: "/", headers: {}, bodyEncoding: "json", body: JSON.parse(withFreshId(fixture("dm-text"))) });
      const response = await bot.send(await standardRequest(signingKey, body));
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toMatch(/none is configured.*whsec_… standardSigningSecret/);
      expect(bot.seen).toEqual([]);
    });
  }

  it("a whsec_ secret without its base64 padding verifies as the Standard Webhooks libraries accept it", async () => {
    const key = bytes(32);
    const bot = botWith(`whsec_${base64(key).replace(/=+$/, "")}`);
    const body = relayed({ method: "POST", path: "/", headers: {}, bodyEncoding: "json", body: JSON.parse(withFreshId(fixture("dm-text"))) });
    const response = await bot.send(await standardRequest(key, body));
    expect(response.status).toBe(200);
    expect(bot.seen).toHaveLength(1);
  });

  it("CRON_SECRET that is too short is refused with what to do", async () => {
    const { env } = await import("cloudflare:workers");
    const response = await through(
      worker,
      new Request("https://bot.example/api/imessage/gateway", { headers: { authorization: "Bearer short" } }),
      { ...env, CRON_SECRET: "short" } as unknown as Env,
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: string }).error).toMatch(/CRON_SECRET is 5 characters; use at least 16.*openssl rand/);
  });
});

describe("signed hostile bodies through the Worker", () => {
  /** Mutations of a valid envelope a sender controls: wrong types, missing parts, odd shapes and sizes. */
  const mutations: [string, (json: { message: Record<string, unknown> } & Record<string, unknown>) => void][] = [
    ["message id a number", (j) => void (j.message.id = 42)],
    ["space missing", (j) => void delete j.message.space],
    ["space id an object", (j) => void (j.message.space = { id: { nested: true } })],
    ["content null", (j) => void (j.message.content = null)],
    ["content without type", (j) => void (j.message.content = { text: "x" })],
    ["group items not an array", (j) => void (j.message.content = { type: "group", items: "nope" })],
    ["group items null and numbers", (j) => void (j.message.content = { type: "group", items: [null, 3, { id: 5 }, { content: "x" }] })],
    ["reply with string content and no target", (j) => void (j.message.content = { type: "reply", content: "hi" })],
    ["reaction with null target", (j) => void (j.message.content = { type: "reaction", emoji: 7, target: null })],
    ["poll vote with odd fields", (j) => void (j.message.content = { type: "poll_option", option: 3, poll: null, selected: "yes" })],
    ["sender an array", (j) => void (j.message.sender = ["a"])],
    ["timestamp garbage", (j) => void (j.message.timestamp = "2026-13-45T99:99:99Z")],
    ["timestamp a number", (j) => void (j.message.timestamp = 1e20)],
    ["direction odd", (j) => void (j.message.direction = { out: true })],
    ["platform not imessage", (j) => void (j.message.platform = "whatsapp")],
    ["event name odd", (j) => void (j.event = "typing.started")],
    ["200 KB of text", (j) => void (j.message.content = { type: "text", text: "x".repeat(200_000) })],
    ["30 levels of replies", (j) => {
      let content: Record<string, unknown> = { type: "text", text: "deep" };
      for (let i = 0; i < 14; i++) content = { type: "reply", content, target: { id: `t${i}` } };
      j.message.content = content;
    }],
    ["rename with a huge name", (j) => void (j.message.content = { type: "rename", displayName: "n".repeat(100_000) })],
    ["addMember with objects", (j) => void (j.message.content = { type: "addMember", members: [{ a: 1 }, null] })],
    ["message.received wrapper with header values of any JSON type", (j) => {
      for (const key of Object.keys(j)) delete j[key];
      Object.assign(j, { type: "message.received", schemaVersion: 1, request: { headers: { "x-fusor-source": 7, "content-type": null, "x-fusor-imessage-transform-version": { v: 3 } }, rawBodyBase64: "AAAA" } });
    }],
    ["message.received wrapper with garbage request", (j) => {
      for (const key of Object.keys(j)) delete j[key];
      Object.assign(j, { type: "message.received", schemaVersion: 1, request: { body: 5, headers: "x" } });
    }],
  ];
  for (const [name, mutate] of mutations) {
    it(`${name} → 200 or 400, never a 5xx`, async () => {
      const dm = inOwnDm("dm-text");
      const json = JSON.parse(dm.body);
      mutate(json);
      const response = await through(worker, await signedRequest(JSON.stringify(json)));
      expect([200, 400], `${response.status} ${await response.clone().text()}`).toContain(response.status);
    });
  }
});
