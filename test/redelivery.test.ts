import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { isPermanentFailure, redeliveryDelayMs } from "../src/adapter/redelivery.ts";
import { ValidationError } from "../src/adapter/errors.ts";
import { gatewayStub } from "../src/gateway/directory.ts";
import worker from "../src/worker/index.ts";
import { inOwnDm, seedInbound, signedRequest, through } from "./helpers.ts";
import { sim } from "./outbound-helpers.ts";

describe("a delivery whose handler fails after the 200 is run again by the gateway", () => {
  it("retries with backoff until the reply goes out, exactly once", async () => {
    // The simulated server does not know this DM yet: the bot's reply fails with NotFound.
    const { body, chatGuid } = inOwnDm("dm-text", { type: "text", text: "are you there?" });
    const since = await sim.mark();
    const response = await through(worker, await signedRequest(body));
    expect(await response.json()).toMatchObject({ status: "accepted" });
    expect(await gatewayStub(env.GATEWAY).pendingRedeliveries()).toBeGreaterThanOrEqual(1);

    // The conversation appears on the server; the next attempt (on the gateway's alarm) answers.
    await seedInbound(env.SIMULATOR_URL, body);
    const sends = await vi.waitFor(
      async () => {
        const found = (await sim.requests({ since, path: "/v1/messages:sendText" })).filter(
          (r) => (r.body as { chatGuid: string }).chatGuid === chatGuid && r.status === 200,
        );
        if (found.length === 0) throw new Error("not answered yet");
        return found;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(sends.map((s) => (s.body as { text: string }).text)).toEqual(["You said: are you there?"]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = (await sim.requests({ since, path: "/v1/messages:sendText" })).filter(
      (r) => (r.body as { chatGuid: string }).chatGuid === chatGuid && r.status === 200,
    );
    expect(after).toHaveLength(1);
  });

  it("backs off ×4 per attempt within ±20 %, capped at an hour; bad input is not retried", () => {
    for (const [attempt, expected] of [
      [1, 30_000],
      [2, 120_000],
      [3, 480_000],
      [6, 3_600_000],
    ] as const) {
      const delay = redeliveryDelayMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(expected * 0.8);
      expect(delay).toBeLessThanOrEqual(expected * 1.2);
    }
    expect(isPermanentFailure(new ValidationError("bad"))).toBe(true);
    expect(isPermanentFailure(new Error("network"))).toBe(false);
  });
});
