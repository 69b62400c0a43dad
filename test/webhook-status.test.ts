import { describe, expect, it, vi } from "vitest";
import { createRecordingBot, fixture, signedRequest, through, withFreshId, WEBHOOK_URL } from "./helpers.ts";

interface Case {
  name: string;
  request: () => Promise<Request>;
  status: number;
  error: RegExp;
}

const now = () => Math.floor(Date.now() / 1000);

function toStandardSecret(): { secret: string; key: Uint8Array } {
  const key = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
  return { secret: `whsec_${btoa(String.fromCharCode(...key))}`, key };
}

async function standardSignature(key: Uint8Array, id: string, ts: number, body: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(`${id}.${ts}.${body}`));
  return `v1,${btoa(String.fromCharCode(...new Uint8Array(mac)))}`;
}

const cases: Case[] = [
  {
    name: "unsigned delivery → 400",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { headers: { "x-spectrum-signature": null } }),
    status: 400,
    error: /unsigned delivery: expected X-Spectrum-Signature and X-Spectrum-Timestamp, or webhook-id, webhook-timestamp and webhook-signature/,
  },
  {
    name: "missing timestamp → 400",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { headers: { "x-spectrum-timestamp": null } }),
    status: 400,
    error: /X-Spectrum-Signature without X-Spectrum-Timestamp/,
  },
  {
    name: "non-numeric timestamp → 400",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { headers: { "x-spectrum-timestamp": "yesterday" } }),
    status: 400,
    error: /must be unix seconds/,
  },
  {
    name: "signature for other bytes → 401",
    request: async () => {
      const signed = await signedRequest(withFreshId(fixture("dm-text")));
      return new Request(signed, { body: withFreshId(fixture("dm-text")) });
    },
    status: 401,
    error: /X-Spectrum-Signature matches none of the 1 configured secret/,
  },
  {
    name: "wrong secret → 401",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { secret: "whsec_wrong" }),
    status: 401,
    error: /IMESSAGE_WEBHOOK_SECRET must hold the signing secret\(s\)/,
  },
  {
    name: "stale (6 minutes old) → 401",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { timestamp: now() - 360 }),
    status: 401,
    error: /3[56]\d s old/,
  },
  {
    name: "from the future (6 minutes ahead) → 401",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { timestamp: now() + 360 }),
    status: 401,
    error: /in the future/,
  },
  {
    name: "malformed JSON → 400",
    request: () => signedRequest("{not json"),
    status: 400,
    error: /not valid JSON/,
  },
  {
    name: "JSON that is not an envelope → 400",
    request: () => signedRequest(JSON.stringify({ event: "messages", message: { id: "x" } })),
    status: 400,
    error: /not a Spectrum message envelope: message\.space/,
  },
  {
    name: "JSON array → 400",
    request: () => signedRequest("[]"),
    status: 400,
    error: /must be a JSON object/,
  },
  {
    name: "GET → 405",
    request: async () => new Request(WEBHOOK_URL, { method: "GET" }),
    status: 405,
    error: /use POST/,
  },
  {
    name: "text/plain → 415",
    request: () => signedRequest(withFreshId(fixture("dm-text")), { headers: { "content-type": "text/plain" } }),
    status: 415,
    error: /Content-Type: application\/json/,
  },
  {
    name: "body over 1 MiB → 413",
    request: () => signedRequest(JSON.stringify({ event: "messages", padding: "x".repeat(1024 * 1024) })),
    status: 413,
    error: /larger than 1048576 bytes/,
  },
  {
    name: "Standard Webhooks delivery while IMESSAGE_WEBHOOK_SECRET holds no whsec_ Standard secret → 401 saying what to add (the sender chose the headers: never a 500)",
    request: async () => {
      const body = withFreshId(fixture("dm-text"));
      return new Request(WEBHOOK_URL, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": "msg_1",
          "webhook-timestamp": String(now()),
          "webhook-signature": "v1,AAAA",
        },
        body,
      });
    },
    status: 401,
    error: /can only be checked with the whsec_… secret, and none is configured.*IMESSAGE_WEBHOOK_SECRET must hold/,
  },
];

describe("webhook status matrix", () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const bot = createRecordingBot();
      const response = await bot.send(await testCase.request());
      expect(response.status).toBe(testCase.status);
      const body = (await response.json()) as { error: string };
      expect(body.error).toMatch(testCase.error);
      expect(bot.runs).toEqual([]);
      // The adapter says so in its log (405 is answered by the Worker's route, before the adapter).
      const rejected = bot.logs.filter((line) => line.message.startsWith("Rejected webhook delivery"));
      const beforeAdapter = testCase.status === 405;
      expect(rejected).toEqual(beforeAdapter ? [] : [{ level: "warn", message: `Rejected webhook delivery (${testCase.status})` }]);
    });
  }

  it("413 comes from the declared length, before the body is read", async () => {
    const bot = createRecordingBot();
    const stream = new ReadableStream({
      pull() {
        throw new Error("the body must not be read");
      },
    });
    const request = new Request(WEBHOOK_URL, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(2 * 1024 * 1024) },
      body: stream,
      duplex: "half",
    } as RequestInit);
    const response = await bot.send(request);
    expect(response.status).toBe(413);
    expect(bot.runs).toEqual([]);
  });

  it("no secret configured → 500 saying which secret to set", async () => {
    const { createiMessageAdapter } = await import("../src/adapter/create.ts");
    const adapter = createiMessageAdapter({
      env: { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s" },
      logger: { child: () => adapter.logger, debug() {}, info() {}, warn() {}, error() {} } as never,
    });
    const response = await adapter.handleWebhook(await signedRequest(withFreshId(fixture("dm-text"))));
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: string }).error).toMatch(/IMESSAGE_WEBHOOK_SECRET is not configured/);
  });

  it("a Worker whose bot cannot be built from its env → 503 + Retry-After, what to set logged once without a stack and never answered", async () => {
    const { createWorkerApp } = await import("../src/worker/app.ts");
    const { Chat } = await import("chat");
    const { createiMessageAdapter } = await import("../src/adapter/create.ts");
    const { createMemoryState } = await import("./memory-state.ts");
    // The template's factory with a server URL that carries credentials (refused, and quoted in the error).
    const env = { IMESSAGE_SERVER_URL: "https://admin:s3cr3t-token@imsg.example.com/api", IMESSAGE_API_KEY: "k" };
    const app = createWorkerApp(() => new Chat({ userName: "bot", adapters: { imessage: createiMessageAdapter({ env }) }, state: createMemoryState(), logger: "silent" }));
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      for (let i = 0; i < 2; i++) {
        const response = await through(app, await signedRequest(withFreshId(fixture("dm-text"))), {} as Env);
        expect(response.status, await response.clone().text()).toBe(503);
        expect(response.headers.get("retry-after")).toBe("60");
        const body = await response.text();
        expect(body).toMatch(/not configured \(this delivery will be retried\): its log .* names the settings to add/);
        expect(body).not.toContain("s3cr3t");
      }
    } finally {
      spy.mockRestore();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toEqual([expect.stringMatching(/^The Worker is not configured: .*IMESSAGE_SERVER_URL/)]);
  });

  it("Standard Webhooks: a valid v1 signature among several (rotation) is accepted and routed", async () => {
    const { secret, key } = toStandardSecret();
    const { createiMessageAdapter } = await import("../src/adapter/create.ts");
    const { Chat } = await import("chat");
    const { createMemoryState } = await import("./memory-state.ts");
    const adapter = createiMessageAdapter({ env: { IMESSAGE_PROJECT_ID: "p", IMESSAGE_PROJECT_SECRET: "s" }, webhookSecret: secret });
    const chat = new Chat({ userName: "bot", adapters: { imessage: adapter }, state: createMemoryState(), logger: "silent" });
    const seen: string[] = [];
    chat.onNewMention(async (_thread, message) => {
      seen.push(message.text);
    });
    const inner = JSON.parse(withFreshId(fixture("dm-text")));
    const body = JSON.stringify({
      type: "message.received",
      schemaVersion: 1,
      eventId: "evt_1",
      platform: "imessage",
      projectId: "p",
      prevSubjectSeq: 0,
      request: { method: "POST", path: "/", headers: {}, bodyEncoding: "json", body: inner },
    });
    const ts = now();
    const request = new Request(WEBHOOK_URL, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "evt_1",
        "webhook-timestamp": String(ts),
        "webhook-signature": `v1,bm90IGl0 ${await standardSignature(key, "evt_1", ts, body)}`,
      },
      body,
    });
    const tasks: Promise<unknown>[] = [];
    const response = await chat.webhooks.imessage(request, { waitUntil: (task) => tasks.push(task) });
    await Promise.all(tasks);
    expect(response.status).toBe(200);
    expect(seen).toEqual(["hey bot, what's up?"]);
  });
});
