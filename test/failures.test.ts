/**
 * `classifyFailure`: one taxonomy of outbound failures, by what fixes them — on the errors the real
 * HTTP client and token source raise against the simulator, and on the client's error classes.
 */
import { AuthenticationError, ConnectionError, IMessageError, NotFoundError, RateLimitError, ValidationError as ServerValidationError } from "@photon-ai/advanced-imessage/http";
import { NotImplementedError } from "chat";
import { describe, expect, it } from "vitest";
import { createiMessageAdapter } from "../src/adapter/create.ts";
import { ValidationError } from "../src/core/errors.ts";
import { BAD_CREDENTIALS, classifyFailure, NOT_OPTED_IN, USER_LIMIT } from "../src/ledger/failures.ts";
import { redeliveryDelayMs } from "../src/ledger/retry-policy.ts";
import { CloudAuthError, CloudUnavailableError, createCloudTokenSource } from "../src/transport/cloud-token.ts";
import { cloud, silent, sim, simulatorHostPort } from "./outbound-helpers.ts";

const failureOf = (promise: Promise<unknown>) => promise.then(() => expect.fail("expected a failure"), (error: unknown) => error);

/** A DM of its own, so faults and opt-in lists scoped to it reach no other test. */
const ownDm = () => `any;-;+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;

/** A cloud project of this test's own and a token source on it. */
async function tokenSource(options: { secret?: string; timeoutMs?: number } = {}) {
  const projectId = `proj_${crypto.randomUUID().slice(0, 8)}`;
  await sim.project({ projectId, secret: "s3cret", mode: "shared", expiresIn: 3600 });
  const tokens = createCloudTokenSource({ cloudUrl: sim.baseUrl, projectId, projectSecret: options.secret ?? "s3cret", timeoutMs: options.timeoutMs });
  return { projectId, tokens, path: `/projects/${projectId}/imessage/tokens` };
}

describe("errors from the iMessage server, as the HTTP client raises them", () => {
  it("403 permission_denied for a recipient who has not opted in: permanent, says to have them text the number or invite them; no token renewal", async () => {
    const w = await cloud();
    const chat = ownDm();
    await sim.requireOptIn([chat.slice("any;-;".length)]);
    const error = await failureOf(w.adapter.postMessage(`imessage:${chat}`, "hello"));
    expect(error).toBeInstanceOf(AuthenticationError);
    const failure = classifyFailure(error);
    expect(failure).toMatchObject({ kind: "permanent", reason: expect.stringContaining(NOT_OPTED_IN) });
    expect(failure.reason).toMatch(/text your Spectrum number first, or be invited.*POST \/projects\/\{id\}\/users/);
    expect((await w.requests("/v1/messages:sendText")).map((r) => r.status)).toEqual([403]);
    expect((await sim.tokenIssuances()).byProject[w.projectId as string]).toBe(1);
  });

  it("a wrong API key (401) and a bare 403 from a proxy are bad credentials: permanent, naming the secrets to fix", async () => {
    const wrongKey = createiMessageAdapter({ env: {}, serverUrl: simulatorHostPort, apiKey: "wrong", logger: silent });
    const unauthenticated = classifyFailure(await failureOf(wrongKey.markAsRead("imessage:any;-;+15551234567")));
    expect(unauthenticated).toMatchObject({ kind: "permanent", reason: expect.stringContaining(BAD_CREDENTIALS) });
    expect(unauthenticated.reason).toMatch(/IMESSAGE_PROJECT_SECRET.*IMESSAGE_API_KEY/);

    const w = await cloud();
    const chat = ownDm();
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: chat, status: 403, bodyless: true, times: 1 });
    const proxied = classifyFailure(await failureOf(w.adapter.postMessage(`imessage:${chat}`, "x")));
    expect(proxied).toMatchObject({ kind: "permanent", reason: expect.stringContaining(BAD_CREDENTIALS) });
  });

  it("invalid argument (400) and not found (404) are permanent and say which", async () => {
    const w = await cloud();
    const chat = ownDm();
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: chat, status: 400, times: 1 });
    const invalid = classifyFailure(await failureOf(w.adapter.postMessage(`imessage:${chat}`, "x")));
    expect(invalid).toMatchObject({ kind: "permanent", reason: expect.stringMatching(/refused the request as invalid \(HTTP 400\)/) });
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: chat, status: 404, times: 1 });
    const missing = classifyFailure(await failureOf(w.adapter.postMessage(`imessage:${chat}`, "x")));
    expect(missing).toMatchObject({ kind: "permanent", reason: expect.stringMatching(/does not know the chat.*HTTP 404/) });
  });

  it("503s past the client's own retries are transient; the plan's user limit (429, not retryable) is permanent", async () => {
    const w = await cloud();
    const chat = ownDm();
    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: chat, status: 503, times: 4 });
    const outage = await failureOf(w.adapter.postMessage(`imessage:${chat}`, "x"));
    expect(outage).toBeInstanceOf(ConnectionError);
    expect(classifyFailure(outage).kind).toBe("transient");

    await sim.fault({ match: "/v1/messages:sendText", chatPrefix: chat, status: 429, retryable: false, errorCode: "recipientLimitExceeded", times: 1 });
    const limit = classifyFailure(await failureOf(w.adapter.postMessage(`imessage:${chat}`, "x")));
    expect(limit).toMatchObject({ kind: "permanent", reason: expect.stringContaining(USER_LIMIT) });
  });

  it("rate limits are transient and carry Retry-After; RESOURCE_EXHAUSTED without a wait is the user limit", () => {
    const options = { code: "burstRateExceeded" as const, grpcCode: 8, retryable: true, retryAfter: 45_000 };
    expect(classifyFailure(new RateLimitError("slow down", options))).toMatchObject({ kind: "transient", retryAfterMs: 45_000 });
    const bare = new RateLimitError("HTTP 429 without a middleware error body", { code: "internalError", grpcCode: 8, retryable: true });
    expect(classifyFailure(bare).kind).toBe("transient");
    const planLimit = new RateLimitError("user limit reached", { code: "internalError", grpcCode: 8, retryable: false });
    expect(classifyFailure(planLimit)).toMatchObject({ kind: "permanent", reason: expect.stringContaining(USER_LIMIT) });
    const daily = new RateLimitError("daily limit", { code: "dailyLimitExceeded", grpcCode: 8, retryable: false });
    expect(classifyFailure(daily).kind).toBe("transient");
  });

  it("the client's other classes: validation and not found permanent, timeouts and 500s transient", () => {
    expect(classifyFailure(new ServerValidationError("bad", { code: "invalidArgument", grpcCode: 3, retryable: false })).kind).toBe("permanent");
    expect(classifyFailure(new NotFoundError("gone", { code: "chatNotFound", grpcCode: 5, retryable: false })).kind).toBe("permanent");
    expect(classifyFailure(new ConnectionError("timed out", { code: "timeout", grpcCode: 4, retryable: false })).kind).toBe("transient");
    expect(classifyFailure(new IMessageError("boom", { code: "internalError", grpcCode: 13, retryable: true })).kind).toBe("transient");
    expect(classifyFailure(new IMessageError("nope", { code: "operationNotSupported", grpcCode: 12, retryable: false })).kind).toBe("permanent");
    const denied = new AuthenticationError("recipient not opted in", { code: "unauthorized", grpcCode: 7, retryable: false, source: "spectrum-imessage" });
    expect(classifyFailure(denied).reason).toContain(NOT_OPTED_IN);
    // An expired token is retried (the next attempt gets a fresh one); a refused key is not.
    const expired = new AuthenticationError("expired", { code: "tokenExpired", grpcCode: 16, retryable: false });
    expect(classifyFailure(expired).kind).toBe("transient");
    const refused = new AuthenticationError("bad key", { code: "unauthenticated", grpcCode: 16, retryable: false });
    expect(classifyFailure(refused).reason).toContain(BAD_CREDENTIALS);
  });
});

describe("the cloud token endpoint", () => {
  it("503 is transient (with the cloud's Retry-After); the next request gets a token", async () => {
    const { tokens, path } = await tokenSource();
    await sim.fault({ match: path, status: 503, retryAfter: 7, times: 1 });
    const error = await failureOf(tokens.grant());
    expect(error).toBeInstanceOf(CloudUnavailableError);
    expect(error).not.toBeInstanceOf(ValidationError);
    expect(classifyFailure(error)).toMatchObject({ kind: "transient", retryAfterMs: 7000 });
    expect((await tokens.grant()).type).toBe("shared");
  });

  it("401 (a wrong project secret) is permanent and names IMESSAGE_PROJECT_ID and IMESSAGE_PROJECT_SECRET", async () => {
    const { tokens } = await tokenSource({ secret: "wrong" });
    const error = await failureOf(tokens.grant());
    expect(error).toBeInstanceOf(CloudAuthError);
    expect(classifyFailure(error)).toMatchObject({ kind: "permanent", reason: expect.stringMatching(/IMESSAGE_PROJECT_ID and IMESSAGE_PROJECT_SECRET/) });
  });

  it("a hanging token request is abandoned at its timeout and is transient; so is an unreachable cloud", async () => {
    const { tokens, path } = await tokenSource({ timeoutMs: 300 });
    await sim.fault({ match: path, delayMs: 3000, drop: true, times: 1 });
    const started = Date.now();
    const error = await failureOf(tokens.grant());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(CloudUnavailableError);
    expect(classifyFailure(error)).toMatchObject({ kind: "transient", reason: expect.stringMatching(/timed out after 300 ms/) });

    const unreachable = createCloudTokenSource({ cloudUrl: "http://127.0.0.1:1", projectId: "p", projectSecret: "s" });
    expect(classifyFailure(await failureOf(unreachable.grant())).kind).toBe("transient");
  });

  it("an adapter's token request waits no longer than its timeoutMs: a send behind a hanging token endpoint fails fast and transient", async () => {
    const w = await cloud({ timeoutMs: 300 });
    await sim.fault({ match: `/projects/${w.projectId}/imessage/tokens`, delayMs: 3000, drop: true, times: 1 });
    const started = Date.now();
    const error = await failureOf(w.adapter.postMessage("imessage:any;-;+15551234567", "x"));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(CloudUnavailableError);
    expect(classifyFailure(error)).toMatchObject({ kind: "transient", reason: expect.stringMatching(/timed out after 300 ms/) });
  });
});

describe("our own errors, wrappers and the unknown", () => {
  it("configuration and unsupported operations are permanent; handler bugs transient; a wrapper is classified by its cause", () => {
    expect(classifyFailure(new ValidationError("IMESSAGE_FORMATTING must be plain or styled")).kind).toBe("permanent");
    expect(classifyFailure(new NotImplementedError("no ephemeral messages", "postEphemeral")).kind).toBe("permanent");
    expect(classifyFailure(new Error("handler failed on purpose"))).toMatchObject({ kind: "transient", reason: "Error: handler failed on purpose" });
    const wrapped = new Error("reply failed", { cause: new CloudUnavailableError("down", { retryAfterMs: 2000 }) });
    expect(classifyFailure(wrapped)).toMatchObject({ kind: "transient", retryAfterMs: 2000 });
    const wrappedDenied = new Error("reply failed", {
      cause: new AuthenticationError("not opted in", { code: "unauthorized", grpcCode: 7, retryable: false }),
    });
    expect(classifyFailure(wrappedDenied)).toMatchObject({ kind: "permanent", reason: expect.stringContaining(NOT_OPTED_IN) });
  });

  it("the ledger waits at least the server's Retry-After, at most an hour", () => {
    expect(redeliveryDelayMs(1, 200, 5000)).toBe(5000);
    expect(redeliveryDelayMs(1, 200)).toBeLessThanOrEqual(240);
    expect(redeliveryDelayMs(1, 200, 10 * 3600_000)).toBe(3600_000);
  });

  it("IMESSAGE_REDELIVERY_MAX_MS caps the growing wait, never a server's Retry-After", () => {
    expect(redeliveryDelayMs(5, 2000)).toBeGreaterThan(400_000);
    for (let i = 0; i < 50; i++) expect(redeliveryDelayMs(5, 2000, 0, 10_000)).toBeLessThanOrEqual(10_000);
    expect(redeliveryDelayMs(5, 2000, 30_000, 10_000)).toBe(30_000);
    expect(redeliveryDelayMs(9, 30_000, 0, 10 * 3600_000)).toBeLessThanOrEqual(3600_000);
  });
});
