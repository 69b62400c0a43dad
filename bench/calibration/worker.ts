/**
 * @module bench/calibration/worker
 * The calibration Worker of the load bench: the least a correct webhook receiver on Workers must do, so
 * our Worker's figures can be read as a share of what this machine and runtime allow. Per delivery it
 * verifies the Spectrum HMAC (WebCrypto, over the exact bytes), parses the envelope, claims the delivery
 * with one SQLite `INSERT OR IGNORE … RETURNING` in the conversation's Durable Object, acknowledges, and
 * puts one KV key in `waitUntil`. Like our Worker (whose ledger Durable Object runs the bot after the
 * accept call returns), the Durable Object then answers each claimed delivery in its own `waitUntil`
 * with the demo bot's outbound calls — typing on, `POST /v1/messages:sendText`, typing off — with a bearer
 * token from Spectrum Cloud (fetched once per isolate, as our token source caches it). No other handler work runs.
 */
import { DurableObject } from "cloudflare:workers";

/** The calibration Worker's bindings (see `wrangler.toml` beside this file). */
export interface CalibrationEnv {
  CLAIMS: DurableObjectNamespace<ClaimLedger>;
  SEEN: KVNamespace;
  IMESSAGE_WEBHOOK_SECRET: string;
  /** Spectrum Cloud, where the token comes from, and the iMessage HTTP API the reply goes to (the simulator under the bench). */
  SPECTRUM_CLOUD_URL: string;
  IMESSAGE_HTTP_ADDRESS: string;
  IMESSAGE_PROJECT_ID: string;
  IMESSAGE_PROJECT_SECRET: string;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    keys.set(secret, key);
  }
  return key;
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

async function verified(request: Request, body: Uint8Array, secret: string): Promise<boolean> {
  const timestamp = request.headers.get("x-spectrum-timestamp") ?? "";
  const signature = hexBytes((request.headers.get("x-spectrum-signature") ?? "").replace(/^v0=/, ""));
  if (!signature || !/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const prefix = encoder.encode(`v0:${timestamp}:`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  // A registration's secrets, comma-separated: X-Spectrum-Signature is keyed with the 64-hex one (else the first).
  const secrets = secret.split(/[\s,]+/).filter(Boolean);
  const native = secrets.find((entry) => /^[0-9a-f]{64}$/i.test(entry)) ?? secrets[0] ?? "";
  return await crypto.subtle.verify("HMAC", await hmacKey(native), signature, signed);
}

let token: { value: Promise<string>; expiresAt: number } | undefined;

/** A shared-line bearer token, requested once per isolate and reused until a minute before it expires. */
function bearer(env: CalibrationEnv): Promise<string> {
  if (token && token.expiresAt > Date.now()) return token.value;
  const value = (async () => {
    const response = await fetch(`${env.SPECTRUM_CLOUD_URL}/projects/${encodeURIComponent(env.IMESSAGE_PROJECT_ID)}/imessage/tokens`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`${env.IMESSAGE_PROJECT_ID}:${env.IMESSAGE_PROJECT_SECRET}`)}`, "content-type": "application/json" },
      body: "{}",
    });
    const body = (await response.json()) as { data?: { token?: string } };
    if (!response.ok || !body.data?.token) throw new Error(`token request answered HTTP ${response.status}`);
    return body.data.token;
  })();
  token = { value, expiresAt: Date.now() + 3_540_000 };
  value.catch(() => (token = undefined));
  return value;
}

/** One call of the iMessage HTTP API, as our adapter's client makes it. */
async function call(env: CalibrationEnv, route: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${env.IMESSAGE_HTTP_ADDRESS.replace(/\/+$/, "")}/v1/${route}`, {
    method: "POST",
    headers: { authorization: `Bearer ${await bearer(env)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  if (!response.ok) console.error(`calibration ${route} for ${String(body.chatGuid)} answered HTTP ${response.status}`);
}

/**
 * The demo bot's answer, with the same outbound calls it makes: the typing indicator on, the reply,
 * and the indicator off (what `thread.startTyping()` then `thread.post()` send).
 */
async function reply(env: CalibrationEnv, chatGuid: string, text: string, key: string): Promise<void> {
  await call(env, "chats:setTyping", { chatGuid, isTyping: true });
  await call(env, "messages:sendText", { chatGuid, text: `You said: ${text.trim()}`, clientMessageId: key });
  await call(env, "chats:setTyping", { chatGuid, isTyping: false });
}

/** One Durable Object per conversation; a claim is one row, and a claimed delivery is answered from here. */
export class ClaimLedger extends DurableObject<CalibrationEnv> {
  constructor(ctx: DurableObjectState, env: CalibrationEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  }

  /** True when this call claimed `key` (its reply then goes out after this call returns), false when it was claimed before. */
  claim(key: string, chatGuid: string, text: string): boolean {
    const claimed = this.ctx.storage.sql.exec("INSERT OR IGNORE INTO claims (key, at) VALUES (?, ?) RETURNING key", key, Date.now()).toArray().length === 1;
    if (claimed) this.ctx.waitUntil(reply(this.env, chatGuid, text, key));
    return claimed;
  }
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return Response.json({ ok: true });
    if (request.method !== "POST") return Response.json({ error: "POST deliveries" }, { status: 405 });
    const body = new Uint8Array(await request.arrayBuffer());
    if (!(await verified(request, body, env.IMESSAGE_WEBHOOK_SECRET))) return Response.json({ error: "bad signature" }, { status: 401 });
    let envelope: { message?: { id?: unknown; space?: { id?: unknown }; content?: { text?: unknown } } };
    try {
      envelope = JSON.parse(new TextDecoder().decode(body)) as typeof envelope;
    } catch {
      return Response.json({ error: "malformed JSON" }, { status: 400 });
    }
    const messageId = envelope.message?.id;
    const spaceId = envelope.message?.space?.id;
    if (typeof messageId !== "string" || typeof spaceId !== "string") return Response.json({ error: "no message" }, { status: 400 });
    const key = `${request.headers.get("x-spectrum-webhook-id") ?? "-"}:${messageId}`;
    const text = typeof envelope.message?.content?.text === "string" ? envelope.message.content.text : "";
    const claimed = await env.CLAIMS.get(env.CLAIMS.idFromName(spaceId)).claim(key, spaceId, text);
    if (!claimed) return Response.json({ status: "duplicate", key });
    ctx.waitUntil(env.SEEN.put(`seen:${key}`, "1", { expirationTtl: 86_400 }));
    return Response.json({ status: "accepted", key });
  },
} satisfies ExportedHandler<CalibrationEnv>;
