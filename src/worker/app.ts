/**
 * @module worker/app
 * The Hono application of the Worker: the webhook route, health, and the gateway routes.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Adapter, Chat } from "chat";
import { gatewayStub } from "../durable-objects/gateway.ts";
import { gatewayRoutes, type GatewayBindings } from "./gateway-routes.ts";
import { ValidationError } from "../core/errors.ts";
import { jsonResponse } from "../webhook/receive.ts";

const armed = new WeakSet<object>();

/**
 * Once per isolate, makes sure the gateway's alarm runs (token refresh and the reconciliation poll),
 * so nothing depends on the cron having fired yet — e.g. under `wrangler dev`, which runs no crons.
 */
function armGateway(env: GatewayBindings, ctx: { waitUntil(promise: Promise<unknown>): void }): void {
  const gateway = env.GATEWAY;
  if (!gateway || armed.has(gateway)) return;
  armed.add(gateway);
  ctx.waitUntil(
    gatewayStub(gateway)
      .keepalive()
      .then(
        () => undefined,
        (error: unknown) => console.warn(`Could not start the gateway's keepalive (the cron will): ${error instanceof Error ? error.message : String(error)}`),
      ),
  );
}

let configurationLogged = false;

/**
 * The bot could not be built from this env (a `ValidationError`: missing or invalid settings): the
 * operator's to fix, said once per isolate in the log, without a stack. 503, so Spectrum retries the
 * delivery and it is handled once the settings are there. Any other error is logged whole.
 */
function notConfigured(error: unknown): Response {
  const retried = "this delivery will be retried";
  if (error instanceof ValidationError) {
    // The message may quote a setting's value (a server URL with credentials in it): the log only, never
    // the answer, which anyone can ask for before any signature is checked.
    if (!configurationLogged) console.error(`The Worker is not configured: ${error.message}`);
    configurationLogged = true;
    return jsonResponse(503, { error: `the Worker is not configured (${retried}): its log (\`npx wrangler tail\`) names the settings to add` }, { "retry-after": "60" });
  }
  console.error("Building the bot failed", error);
  return jsonResponse(503, { error: `the Worker could not build its bot (${retried}): \`npx wrangler tail\` shows the cause` }, { "retry-after": "60" });
}

/** Builds (or reuses) the bot for a request's environment. */
export type BotFactory<E extends GatewayBindings = GatewayBindings> = (env: E) => Chat<{ imessage: Adapter }>;

/**
 * The Worker's routes. `POST /api/imessage/webhook` acknowledges at once and runs the bot in `waitUntil`.
 *
 * @example
 * ```ts
 * const app = createWorkerApp((env: Env) => createBot(env));
 * export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
 * ```
 */
export function createWorkerApp<E extends GatewayBindings>(bot: BotFactory<E>): Hono<{ Bindings: E }> {
  const app = new Hono<{ Bindings: E }>();

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.on(["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], "/api/imessage/webhook", () =>
    jsonResponse(405, { error: "use POST for webhook deliveries" }, { allow: "POST" }),
  );

  // The adapter reads at most 1 MiB of the body and answers 413 past it (`webhook/receive`): no second
  // reader of the stream here.
  app.post("/api/imessage/webhook", async (c) => {
    const env = c.env as E;
    armGateway(env, c.executionCtx);
    let chat: Chat<{ imessage: Adapter }>;
    try {
      chat = bot(env);
    } catch (error) {
      return notConfigured(error);
    }
    return await chat.webhooks.imessage(c.req.raw, { waitUntil: (task) => c.executionCtx.waitUntil(task) });
  });

  app.route("/api/imessage", gatewayRoutes());

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((error, c) => {
    // Middleware answers (bearerAuth's 401) are thrown as HTTPException.
    if (error instanceof HTTPException) return error.getResponse();
    console.error("Unhandled error", error);
    // Never echo internal error text: say what the operator can do. A 5xx makes Spectrum retry.
    return c.json({ error: "the Worker failed to take this delivery; it will be retried. `npx wrangler tail` shows the cause" }, 500);
  });
  return app;
}
