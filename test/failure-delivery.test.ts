/**
 * Outbound failures at the Worker's boundary: a signed delivery goes through the Worker into its
 * conversation's ledger Durable Object, whose demo bot replies through the simulator. What no retry
 * can fix is a dead letter on the first attempt, listed with a reason that says what to do; what
 * time fixes (the token endpoint down or hanging) is retried and answered exactly once.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { deliveryKeyOf, ledgerNameOf } from "../src/ledger/keys.ts";
import worker from "../demo/index.ts";
import { signedRequest, through } from "./helpers.ts";
import { delivered, knownDm, sim, waitForReplies } from "./outbound-helpers.ts";

/** A DM the simulated server knows, with a unique text; returns what the demo bot will answer. */
async function knownDmWithKey() {
  const dm = await knownDm();
  return { ...dm, key: await deliveryKeyOf(dm.messageId) };
}

function ledgerOf(chatGuid: string) {
  return env.DELIVERY_LEDGER.get(env.DELIVERY_LEDGER.idFromName(ledgerNameOf(chatGuid)));
}

/**
 * Makes the ledger that owns `chatGuid` run its bot on a Spectrum project of this test's own (the
 * Worker's secrets swapped, as a deploy with other secrets would), so the token faults armed on that
 * project's path reach no other suite sharing the simulator. Returns the project id and the undo.
 */
async function onOwnProject(chatGuid: string): Promise<{ projectId: string; restore: () => Promise<void> }> {
  const projectId = `proj_${crypto.randomUUID().slice(0, 8)}`;
  await sim.project({ projectId, secret: "s3cret", mode: "shared", expiresIn: 3600 });
  const stub = ledgerOf(chatGuid);
  let original: Env | undefined;
  await runInDurableObject(stub, (instance: unknown) => {
    const holder = instance as { env: Env };
    original = holder.env;
    holder.env = { ...holder.env, IMESSAGE_PROJECT_ID: projectId, IMESSAGE_PROJECT_SECRET: "s3cret" };
  });
  return {
    projectId,
    restore: async () =>
      await runInDurableObject(stub, (instance: unknown) => {
        if (original) (instance as { env: Env }).env = original;
      }),
  };
}

async function deadLetter(key: string): Promise<{ key: string; attempts: number; error: string }> {
  return await vi.waitFor(
    async () => {
      const response = await through(
        worker,
        new Request("https://bot.example/api/imessage/dead-letters", { headers: { authorization: `Bearer ${env.CRON_SECRET}` } }),
      );
      const body = (await response.json()) as { deadLetters: { key: string; attempts: number; error: string }[] };
      const letter = body.deadLetters.find((l) => l.key === key);
      if (!letter) throw new Error("not a dead letter yet");
      return letter;
    },
    { timeout: 15_000, interval: 150 },
  );
}

const settle = (ms = 800) => new Promise((resolve) => setTimeout(resolve, ms));

describe("outbound failures, classified by what fixes them", () => {
  it("a reply to a shared-line recipient who has not opted in (403 permission_denied) is a dead letter at once, saying what to do", async () => {
    const dm = await knownDmWithKey();
    const own = await onOwnProject(dm.chatGuid);
    try {
      await sim.requireOptIn([dm.address]);
      await through(worker, await signedRequest(dm.body));
      const letter = await deadLetter(dm.key);
      expect(letter).toMatchObject({ key: dm.key, attempts: 1 });
      expect(letter.error).toMatch(/the recipient must text your Spectrum number first, or be invited/);
      expect(letter.error).toMatch(/POST \/projects\/\{id\}\/users/);
      expect(letter.error).toMatch(/permission_denied|has not opted in/);
      const { attempts } = await sim.sends({ chatPrefix: dm.chatGuid });
      const writes = attempts.filter((a) => a.chatGuid === dm.chatGuid);
      // One refused write: neither the HTTP client, nor a token renewal, nor the ledger tried again.
      expect(writes.map((a) => a.status)).toEqual([403]);
      expect((await sim.tokenIssuances()).byProject[own.projectId]).toBe(1);
      expect(await delivered(dm.chatGuid)).toEqual([]);
    } finally {
      await own.restore();
    }
  });

  it("a token endpoint answering 503 once: the delivery is retried and the reply sent exactly once", async () => {
    const dm = await knownDmWithKey();
    const own = await onOwnProject(dm.chatGuid);
    try {
      const tokens = `/projects/${own.projectId}/imessage/tokens`;
      await sim.fault({ match: tokens, status: 503, times: 1 });
      await through(worker, await signedRequest(dm.body));
      expect(await waitForReplies(dm.chatGuid)).toEqual([dm.reply]);
      await settle();
      expect(await delivered(dm.chatGuid)).toEqual([dm.reply]);
      expect((await sim.requests({ path: tokens })).map((r) => r.status)).toEqual([503, 200]);
      expect(await ledgerOf(dm.chatGuid).inspect(dm.key)).toMatchObject({ state: "done", attempts: 2 });
    } finally {
      await own.restore();
    }
  });

  it("a token request that hangs is abandoned after the token timeout and retried: the reply is sent once", { timeout: 40_000 }, async () => {
    const dm = await knownDmWithKey();
    const own = await onOwnProject(dm.chatGuid);
    try {
      const tokens = `/projects/${own.projectId}/imessage/tokens`;
      await sim.fault({ match: tokens, delayMs: 14_000, drop: true, times: 1 });
      const started = Date.now();
      await through(worker, await signedRequest(dm.body));
      expect(await waitForReplies(dm.chatGuid, 1, 30_000)).toEqual([dm.reply]);
      // The first token request was given up at 10 s (TOKEN_TIMEOUT_MS), not left to hang until the drop.
      expect(Date.now() - started).toBeLessThan(13_500);
      await settle();
      expect(await delivered(dm.chatGuid)).toEqual([dm.reply]);
      expect(await ledgerOf(dm.chatGuid).inspect(dm.key)).toMatchObject({ state: "done", attempts: 2 });
    } finally {
      await own.restore();
    }
  });
});
