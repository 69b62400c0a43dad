/**
 * @module worker/app
 * The Hono application of the Worker: the webhook route, health, and the gateway routes.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Adapter, Chat } from "chat";
import { gatewayRoutes } from "../gateway/routes.ts";
import { jsonResponse, MAX_DELIVERY_BYTES } from "../webhook/receive.ts";

/** Builds (or reuses) the bot for a request's environment. */
export type BotFactory = (env: Env) => Chat<{ imessage: Adapter }>;

/**
 * The Worker's routes. `POST /api/imessage/webhook` acknowledges at once and runs the bot in `waitUntil`.
 *
 * @example
 * ```ts
 * const app = createWorkerApp((env) => createDemoBot(env));
 * export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
 * ```
 */
export function createWorkerApp(bot: BotFactory): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.on(["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], "/api/imessage/webhook", () =>
    jsonResponse(405, { error: "use POST for webhook deliveries" }, { allow: "POST" }),
  );

  app.post(
    "/api/imessage/webhook",
    bodyLimit({
      maxSize: MAX_DELIVERY_BYTES,
      onError: () => jsonResponse(413, { error: `delivery body is larger than ${MAX_DELIVERY_BYTES} bytes (1 MiB)` }),
    }),
    async (c) => {
      const chat = bot(c.env);
      return await chat.webhooks.imessage(c.req.raw, { waitUntil: (task) => c.executionCtx.waitUntil(task) });
    },
  );

  app.route("/api/imessage", gatewayRoutes());

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((error, c) => {
    console.error("Unhandled error", error);
    // Never echo internal error text: say what the operator can do. A 5xx makes Spectrum retry.
    return c.json({ error: "the Worker failed to take this delivery; it will be retried. `npx wrangler tail` shows the cause" }, 500);
  });
  return app;
}
