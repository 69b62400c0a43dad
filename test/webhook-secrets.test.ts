/**
 * The configured secrets decide verification, never the headers: what a Spectrum registration returns
 * (a 64-hex `signingSecret` and a `whsec_…` `standardSigningSecret`), deliveries carrying one or both
 * header sets, rotations, and hostile signatures — at the Worker's boundary, through its durable ledger.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../demo/index.ts";
import { verifyDelivery } from "../src/webhook/verify.ts";
import { inOwnDm, through, WEBHOOK_URL } from "./helpers.ts";
import { delivered, knownDm } from "./outbound-helpers.ts";
import { spectrumWebhookHeaders, type SigningSchemes } from "./simulator/webhook.ts";

const HEX = "a3".repeat(8) + "0f9e8d7c6b5a49382716051423324150" + "c0ffee00".repeat(2);
const WHSEC = `whsec_${btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff)))}`;
const WHSEC_OLD = `whsec_${btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => (i * 31 + 1) & 0xff)))}`;

/** The Worker with `IMESSAGE_WEBHOOK_SECRET` set to `configured` (one env object per value: one bot each). */
const envs = new Map<string, Env>();
function workerEnv(configured: string): Env {
  let bindings = envs.get(configured);
  if (!bindings) envs.set(configured, (bindings = { ...env, IMESSAGE_WEBHOOK_SECRET: configured } as Env));
  return bindings;
}

async function delivery(signedWith: string, schemes: SigningSchemes, body: string, timestamp?: number): Promise<Request> {
  const headers = await spectrumWebhookHeaders({ secret: signedWith, body, schemes, timestamp });
  return new Request(WEBHOOK_URL, { method: "POST", headers, body });
}

async function handledOnce(chatGuid: string, reply: string): Promise<void> {
  await vi.waitFor(async () => expect(await delivered(chatGuid)).toEqual([reply]), { timeout: 15_000, interval: 100 });
}

describe("which secrets verify which deliveries", () => {
  const accepted: [string, string, string, SigningSchemes][] = [
    ["hex configured (what the README says), both header sets sent", HEX, `${HEX},${WHSEC}`, "both"],
    ["hex configured, only X-Spectrum-Signature sent", HEX, HEX, "native"],
    ["whsec configured, both header sets sent", WHSEC, `${HEX},${WHSEC}`, "both"],
    ["whsec configured, only webhook-signature sent", WHSEC, WHSEC, "standard"],
    ["both configured, only webhook-signature sent", `${HEX},${WHSEC}`, WHSEC, "standard"],
    ["both configured (spaces after the comma), only X-Spectrum-Signature sent", `${HEX}, ${WHSEC}`, HEX, "native"],
    ["the seed's setup: whsec_ string as the UTF-8 key of X-Spectrum-Signature", WHSEC, WHSEC, "native"],
    ["rotation: old and new whsec configured, signed with the old one only", `${WHSEC},${WHSEC_OLD}`, WHSEC_OLD, "standard"],
    ["rotation overlap: one v1 entry per live secret, only the new one configured", WHSEC, `${WHSEC_OLD},${WHSEC}`, "standard"],
    ["whsec configured without its base64 padding", WHSEC.replace(/=+$/, ""), WHSEC, "standard"],
  ];
  for (const [name, configured, signedWith, schemes] of accepted) {
    it(`${name} → 200, the bot answers once`, async () => {
      const dm = await knownDm(`secrets ${crypto.randomUUID().slice(0, 8)}`);
      const response = await through(worker, await delivery(signedWith, schemes, dm.body), workerEnv(configured));
      expect(response.status, await response.clone().text()).toBe(200);
      expect(await response.json()).toMatchObject({ status: "accepted" });
      await handledOnce(dm.chatGuid, dm.reply);
    });
  }

  const refused: [string, string, string, SigningSchemes, RegExp][] = [
    ["hex configured, only webhook-signature sent", HEX, WHSEC, "standard", /none is configured/],
    ["whsec configured, signed by another registration", WHSEC, `${HEX},${WHSEC_OLD}`, "both", /matches none/],
    ["hex configured, signed with a different hex", HEX, "b4".repeat(32), "native", /X-Spectrum-Signature matches none of the 1/],
  ];
  for (const [name, configured, signedWith, schemes, error] of refused) {
    it(`${name} → 401 saying what to configure, no handler`, async () => {
      const dm = await knownDm(`secrets ${crypto.randomUUID().slice(0, 8)}`);
      const response = await through(worker, await delivery(signedWith, schemes, dm.body), workerEnv(configured));
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: string };
      expect(body.error).toMatch(error);
      expect(body.error).toMatch(/IMESSAGE_WEBHOOK_SECRET must hold/);
      expect(await delivered(dm.chatGuid)).toEqual([]);
    });
  }

  it("only a missing configuration is a 500, naming the variable", async () => {
    const dm = inOwnDm("dm-text");
    const response = await through(worker, await delivery(HEX, "both", dm.body), workerEnv(" , "));
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: string }).error).toMatch(/IMESSAGE_WEBHOOK_SECRET is not configured/);
  });

  it("hostile signatures in either or both header sets are never a 5xx", async () => {
    const dm = inOwnDm("dm-text");
    const ts = String(Math.floor(Date.now() / 1000));
    const junk = ["", "v0=", "v0=zz", "v1,", "v1,!!!", "v2,AAAA", "v1,AAAA v1,BBBB v1,", "x".repeat(5000), "v0=" + "0".repeat(64), "v1," + "A".repeat(44), " , ,"];
    const statuses = new Set<number>();
    for (const configured of [HEX, WHSEC, `${HEX},${WHSEC}`, "whsec_!!!!", "whsec_short"]) {
      for (const value of junk) {
        for (const headers of [
          { "x-spectrum-signature": value, "x-spectrum-timestamp": ts },
          { "webhook-signature": value, "webhook-id": "wh_1", "webhook-timestamp": ts },
          { "x-spectrum-signature": value, "x-spectrum-timestamp": ts, "webhook-signature": value, "webhook-id": "a.b", "webhook-timestamp": "soon" },
        ] as Record<string, string>[]) {
          const request = new Request(WEBHOOK_URL, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: dm.body });
          const response = await through(worker, request, workerEnv(configured));
          statuses.add(response.status);
          expect(response.status, `${configured.slice(0, 8)} ${JSON.stringify(headers).slice(0, 120)}`).toBeLessThan(500);
          expect(response.status).not.toBe(200);
        }
      }
    }
    expect([...statuses].sort()).toEqual([400, 401]);
  });

  it("the replay window is floored to whole seconds like spectrum-ts: exactly 300 s old passes at any millisecond", async () => {
    const body = inOwnDm("dm-text").body;
    const ts = 1_800_000_000;
    const signed = await delivery(HEX, "native", body, ts);
    const bytes = new TextEncoder().encode(body);
    expect(await verifyDelivery(signed.headers, bytes, HEX, (ts + 300) * 1000 + 999)).toMatchObject({ ok: true });
    expect(await verifyDelivery(signed.headers, bytes, HEX, (ts + 301) * 1000)).toMatchObject({ ok: false, status: 401 });
  });
});
