/**
 * @module worker/gateway-routes
 * The gateway's HTTP surface: the keepalive (`GET /api/imessage/gateway`, for an external cron), the
 * dead letters (`GET`/`POST /api/imessage/dead-letters`) and the relay WebSocket
 * (`GET /api/imessage/relay`), plus the Worker's `scheduled` handler doing the keepalive without HTTP.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { timingSafeEqual } from "hono/utils/buffer";
import type { DurableObjectBinding } from "../core/durable-object-binding.ts";
import type { GatewayDurableObject } from "../durable-objects/gateway.ts";
import { gatewayStub } from "../durable-objects/gateway.ts";

/** The bindings the gateway routes need. */
export interface GatewayBindings {
  GATEWAY: DurableObjectBinding<GatewayDurableObject>;
  CRON_SECRET?: string;
  RELAY_SECRET?: string;
}

type GatewayContext = Context<{ Bindings: GatewayBindings }>;

const unauthorized = (what: string) => ({ error: `${what} is missing or wrong` });

/** Shortest accepted `CRON_SECRET` / `RELAY_SECRET` (e.g. `openssl rand -hex 32` gives 64 characters). */
export const MIN_SECRET_LENGTH = 16;

type SecretName = "CRON_SECRET" | "RELAY_SECRET";

/** The configured secret, or the 500 body saying what to set. */
function configuredSecret(name: SecretName, how: string, env: GatewayBindings): { secret: string } | { error: string } {
  const secret = env[name]?.trim();
  if (!secret) return { error: `${name} not configured: set it (wrangler secret put ${name}) and ${how}` };
  if (secret.length < MIN_SECRET_LENGTH) {
    return {
      error: `${name} is ${secret.length} characters; use at least ${MIN_SECRET_LENGTH} (e.g. openssl rand -hex 32 | npx wrangler secret put ${name})`,
    };
  }
  return { secret };
}

/**
 * Bearer auth against a secret binding: 500 when the secret is not configured, 401 when the token is
 * missing or wrong. Built once; the token is compared (timing-safe) with the binding of each request.
 */
function secretAuth(name: SecretName, how: string, allowQuery = false): MiddlewareHandler<{ Bindings: GatewayBindings }> {
  const message = unauthorized(`Authorization: Bearer $${name}`);
  const bearer = bearerAuth<{ Bindings: GatewayBindings }>({
    verifyToken: async (token, c) => await timingSafeEqual(token, c.env[name]?.trim() ?? ""),
    noAuthenticationHeader: { message },
    invalidAuthenticationHeader: { message },
    invalidToken: { message },
  });
  return async (c, next) => {
    const configured = configuredSecret(name, how, c.env);
    if ("error" in configured) return c.json({ error: configured.error }, 500);
    const query = allowQuery ? c.req.query("secret") : undefined;
    if (query !== undefined) {
      if (await timingSafeEqual(query, configured.secret)) return await next();
      return c.json(unauthorized("?secret="), 401);
    }
    return await bearer(c, next);
  };
}

const CRON_AUTH = secretAuth("CRON_SECRET", "call this route with Authorization: Bearer <secret>");
const RELAY_AUTH = secretAuth("RELAY_SECRET", "connect with Authorization: Bearer <secret> or ?secret=<secret>", true);

/** A dead-letter replay request. */
const DeadLetterReplay = z.object({ key: z.string().min(1).max(300) });

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
  return CRON_AUTH;
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
  const cron = CRON_AUTH;

  routes.get("/gateway", cron, async (c: GatewayContext) => {
    const status = await gatewayStub(c.env.GATEWAY).keepalive();
    if (status.notConfigured) return c.json({ ...status, status: "not-configured", error: status.notConfigured }, 503);
    return c.json({ status: "ok", ...status });
  });

  routes.get("/dead-letters", cron, async (c: GatewayContext) => {
    const deadLetters = await gatewayStub(c.env.GATEWAY).deadLetters();
    return c.json({ count: deadLetters.length, deadLetters });
  });

  routes.post("/dead-letters", cron, async (c: GatewayContext) => {
    const body = DeadLetterReplay.safeParse(await c.req.json().catch(() => null));
    if (!body.success) {
      return c.json({ error: 'send {"key":"<key of a dead letter from GET /api/imessage/dead-letters>"}' }, 400);
    }
    const { key } = body.data;
    const replayed = await gatewayStub(c.env.GATEWAY).replayDeadLetter(key);
    if (!replayed) return c.json({ error: `no dead letter with key "${key}": list them with GET /api/imessage/dead-letters` }, 404);
    return c.json({ status: "replayed", key });
  });

  routes.get(
    "/relay",
    RELAY_AUTH,
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
