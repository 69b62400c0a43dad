/**
 * @module worker/gateway-routes
 * The gateway's HTTP surface: the keepalive (`GET /api/imessage/gateway`, for an external cron), the
 * dead letters (`GET`/`POST /api/imessage/dead-letters`) and the relay WebSocket
 * (`GET /api/imessage/relay`), plus the Worker's `scheduled` handler doing the keepalive without HTTP.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { timingSafeEqual } from "hono/utils/buffer";
import type { GatewayDurableObject } from "../durable-objects/gateway.ts";
import { gatewayStub } from "../durable-objects/gateway.ts";

/** The bindings the gateway routes need. */
export interface GatewayBindings {
  GATEWAY: DurableObjectNamespace<GatewayDurableObject>;
  CRON_SECRET?: string;
  RELAY_SECRET?: string;
}

type GatewayContext = Context<{ Bindings: GatewayBindings }>;

const unauthorized = (what: string) => ({ error: `${what} is missing or wrong` });

/** Shortest accepted `CRON_SECRET` / `RELAY_SECRET` (e.g. `openssl rand -hex 32` gives 64 characters). */
export const MIN_SECRET_LENGTH = 16;

/** Bearer auth against a secret binding: 500 when the secret is not configured, 401 when the token is missing or wrong. */
function secretAuth(name: "CRON_SECRET" | "RELAY_SECRET", how: string, allowQuery = false): MiddlewareHandler<{ Bindings: GatewayBindings }> {
  return async (c, next) => {
    const secret = c.env[name]?.trim();
    if (!secret) {
      return c.json({ error: `${name} not configured: set it (wrangler secret put ${name}) and ${how}` }, 500);
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      return c.json(
        {
          error: `${name} is ${secret.length} characters; use at least ${MIN_SECRET_LENGTH} (e.g. openssl rand -hex 32 | npx wrangler secret put ${name})`,
        },
        500,
      );
    }
    const query = allowQuery ? c.req.query("secret") : undefined;
    if (query !== undefined) {
      if (await timingSafeEqual(query, secret)) return await next();
      return c.json(unauthorized("?secret="), 401);
    }
    const message = unauthorized(`Authorization: Bearer $${name}`);
    return await bearerAuth({
      token: secret,
      noAuthenticationHeader: { message },
      invalidAuthenticationHeader: { message },
      invalidToken: { message },
    })(c as unknown as Context, next);
  };
}

/**
 * Middleware that lets a request through only with `Authorization: Bearer $CRON_SECRET` (timing-safe;
 * 500 with what to set when the secret is missing or shorter than 16 characters, 401 otherwise).
 *
 * @example
 * ```ts
 * worker.app.get("/api/imessage/listen", cronAuth(), async (c) => …);
 * ```
 */
export function cronAuth(): MiddlewareHandler<{ Bindings: GatewayBindings }> {
  return secretAuth("CRON_SECRET", "call this route with Authorization: Bearer <secret>");
}

/**
 * Routes to mount under `/api/imessage`.
 *
 * @example
 * ```ts
 * app.route("/api/imessage", gatewayRoutes());
 * ```
 */
export function gatewayRoutes(): Hono<{ Bindings: GatewayBindings }> {
  const routes = new Hono<{ Bindings: GatewayBindings }>();
  const cron = cronAuth();

  routes.get("/gateway", cron, async (c: GatewayContext) => {
    const status = await gatewayStub(c.env.GATEWAY).keepalive();
    return c.json({ status: "ok", ...status });
  });


  routes.get("/dead-letters", cron, async (c: GatewayContext) => {
    const deadLetters = await gatewayStub(c.env.GATEWAY).deadLetters();
    return c.json({ count: deadLetters.length, deadLetters });
  });

  routes.post("/dead-letters", cron, async (c: GatewayContext) => {
    const body = (await c.req.json().catch(() => null)) as { key?: unknown } | null;
    if (!body || typeof body.key !== "string" || body.key.length === 0 || body.key.length > 300) {
      return c.json({ error: 'send {"key":"<key of a dead letter from GET /api/imessage/dead-letters>"}' }, 400);
    }
    const replayed = await gatewayStub(c.env.GATEWAY).replayDeadLetter(body.key);
    if (!replayed) return c.json({ error: `no dead letter with key "${body.key}": list them with GET /api/imessage/dead-letters` }, 404);
    return c.json({ status: "replayed", key: body.key });
  });

  routes.get(
    "/relay",
    secretAuth("RELAY_SECRET", "connect with Authorization: Bearer <secret> or ?secret=<secret>", true),
    async (c: GatewayContext) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        return c.json({ error: "the relay endpoint speaks WebSocket: connect with a WebSocket client" }, 426);
      }
      return await gatewayStub(c.env.GATEWAY).fetch(c.req.raw);
    },
  );

  routes.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    console.error("Gateway route failed", error);
    return c.json({ error: "the gateway failed; `npx wrangler tail` shows why. Retry; if it persists, check the Worker's bindings and secrets" }, 500);
  });
  return routes;
}

/**
 * The Worker's `scheduled` handler: the same keepalive as the route, without HTTP.
 *
 * @example
 * ```ts
 * export default { fetch: app.fetch, scheduled: gatewayScheduled } satisfies ExportedHandler<Env>;
 * ```
 */
export async function gatewayScheduled(_controller: ScheduledController, env: GatewayBindings, ctx: ExecutionContext): Promise<void> {
  ctx.waitUntil(
    gatewayStub(env.GATEWAY)
      .keepalive()
      .then(
        () => undefined,
        (error: unknown) => console.error("Gateway keepalive failed", error),
      ),
  );
}
