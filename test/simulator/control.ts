/**
 * @module Control API of the simulator (`/__sim/...`): recorder, reset, faults, opt-in, tokens, state, webhook delivery, events.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { Simulator } from "./app.ts";
import { phoneRoutes } from "./control-phone.ts";
import { ingestEnvelope } from "./inbound.ts";
import type { DeliveryRecord, FaultSpec, RequestFilter, SimProjectUpdate } from "./types.ts";
import { deliverWebhook } from "./webhook.ts";
import type { DeliveryInput, SpectrumEnvelope } from "./webhook.ts";

function badRequest(c: Context, message: string): Response {
  return c.json({ error: message }, 400);
}

async function jsonBody<T>(c: Context): Promise<T | undefined> {
  try {
    return (await c.req.json()) as T;
  } catch {
    return undefined;
  }
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === "" ? undefined : Number(value);
}

/** Routes under `/__sim`. */
export function controlRoutes(sim: Simulator, fetcher: typeof fetch): Hono {
  const app = new Hono().basePath("/__sim");

  app.get("/health", (c) => c.json({ ok: true }));

  app.get("/requests", (c) => {
    const filter: RequestFilter = {
      path: c.req.query("path"),
      prefix: c.req.query("prefix"),
      method: c.req.query("method"),
      since: optionalNumber(c.req.query("since")),
    };
    return c.json({ requests: sim.recorder.list(filter), mark: sim.recorder.mark() });
  });

  app.post("/reset", (c) => {
    sim.reset();
    return c.json({ ok: true });
  });

  app.get("/faults", (c) => c.json({ faults: sim.faults.list() }));
  app.delete("/faults", (c) => {
    sim.faults.clear();
    return c.json({ ok: true });
  });
  app.delete("/faults/:id", (c) => {
    sim.faults.clear(Number(c.req.param("id")));
    return c.json({ ok: true });
  });
  app.post("/faults", async (c) => {
    const body = await jsonBody<FaultSpec | FaultSpec[]>(c);
    if (!body) {
      return badRequest(c, "send a fault spec { match, status?, times?, rate?, burst?, phase?, retryAfter?, delayMs?, drop?, expireToken? } or an array of them");
    }
    try {
      const armed = (Array.isArray(body) ? body : [body]).map((spec) => sim.faults.arm(spec));
      return c.json({ faults: armed });
    } catch (error) {
      return badRequest(c, error instanceof Error ? error.message : String(error));
    }
  });

  app.get("/sends", (c) => {
    const filter = { since: optionalNumber(c.req.query("since")), chatPrefix: c.req.query("chatPrefix"), path: c.req.query("path") };
    const want = c.req.query("only");
    return c.json({
      ...(want !== "delivered" ? { attempts: sim.sends.attempts(filter) } : {}),
      ...(want !== "attempts" ? { delivered: sim.sends.delivered(filter) } : {}),
      mark: sim.sends.mark(),
    });
  });

  app.post("/inbound", async (c) => {
    const body = await jsonBody<{ envelope?: SpectrumEnvelope }>(c);
    if (!body?.envelope || typeof body.envelope !== "object") return badRequest(c, "send { envelope }: a slim Spectrum envelope");
    const stored = ingestEnvelope(sim.world(), body.envelope);
    sim.optIn.optIn(body.envelope.message?.sender?.id);
    if (stored) sim.events.emit({ type: "inbound.message", chatGuid: stored.chatGuid, message: sim.world().messageJson(stored) });
    return c.json({ stored: stored !== undefined, ...(stored ? { guid: stored.guid } : {}) });
  });

  app.get("/opt-in", (c) => c.json({ pending: sim.optIn.list() }));
  app.post("/opt-in", async (c) => {
    const body = await jsonBody<{ pending?: unknown }>(c);
    const pending = body?.pending;
    if (!Array.isArray(pending) || pending.some((a) => typeof a !== "string" || a.trim() === "")) {
      return badRequest(c, 'send { pending: ["+15551234567", …] }: addresses that have not texted the shared line yet');
    }
    sim.optIn.require(pending as string[]);
    return c.json({ pending: sim.optIn.list() });
  });
  app.delete("/opt-in", (c) => {
    sim.optIn.clear();
    return c.json({ ok: true });
  });

  app.get("/tokens", (c) => c.json(sim.tokens.counts()));
  app.post("/tokens:expire", async (c) => {
    const body = await jsonBody<{ projectId?: string }>(c);
    return c.json({ expired: sim.tokens.expire(body?.projectId) });
  });

  app.post("/echo", async (c) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return c.json({ method: c.req.method, headers, body: await c.req.text() });
  });

  app.post("/projects", async (c) => {
    const body = await jsonBody<SimProjectUpdate>(c);
    if (!body || typeof body.projectId !== "string") return badRequest(c, "send { projectId, mode?, secret?, instances?, expiresIn? }");
    if (body.mode !== undefined && body.mode !== "shared" && body.mode !== "dedicated") return badRequest(c, "mode must be shared or dedicated");
    return c.json({ project: sim.tokens.update(body) });
  });

  app.get("/state", (c) => c.json(sim.world().state()));

  app.post("/attachments", async (c) => {
    const fileName = c.req.query("fileName");
    if (!fileName) return badRequest(c, "fileName query parameter is required");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const attachment = sim.world().addAttachment({
      fileName,
      bytes,
      isOutgoing: false,
      guid: c.req.query("guid") || undefined,
      mimeType: c.req.query("mimeType") || undefined,
    });
    return c.json({ attachment: sim.world().attachmentJson(attachment) });
  });

  app.post("/deliver", async (c) => {
    const body = await jsonBody<DeliveryInput>(c);
    if (!body || typeof body.url !== "string" || typeof body.secret !== "string" || body.envelope === undefined) {
      return badRequest(c, "send { url, secret, envelope, webhookId?, timestamp?, schemes?, schema? }");
    }
    const envelope = parseEnvelope(body.envelope);
    const stored = envelope ? ingestEnvelope(sim.world(), envelope) : undefined;
    sim.optIn.optIn(envelope?.message?.sender?.id);
    if (stored) sim.events.emit({ type: "inbound.message", chatGuid: stored.chatGuid, message: sim.world().messageJson(stored) });
    let result: Awaited<ReturnType<typeof deliverWebhook>>;
    try {
      result = await deliverWebhook(body, fetcher);
    } catch (error) {
      return badRequest(c, error instanceof Error ? error.message : String(error));
    }
    const delivery: DeliveryRecord = {
      webhookId: result.webhookId,
      url: body.url,
      timestamp: result.timestamp,
      status: result.status,
      body: result.body,
      at: Date.now(),
      envelope: typeof body.envelope === "string" ? body.envelope : JSON.stringify(body.envelope),
      ...(envelope?.message?.id ? { messageId: envelope.message.id } : {}),
      ...(envelope?.message?.space?.id ? { chatGuid: envelope.message.space.id } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
    sim.deliveries.push(delivery);
    sim.events.emit({ type: "webhook.delivered", delivery });
    return c.json(result);
  });

  app.get("/deliveries", (c) => c.json({ deliveries: sim.deliveries }));
  phoneRoutes(app, sim);

  app.get("/events", (c) => sim.events.sse(Number(c.req.query("since") ?? 0), c.req.raw.signal));
  app.get("/events/log", (c) => c.json({ events: sim.events.since(Number(c.req.query("since") ?? 0)) }));

  app.notFound((c) => c.json({ error: `unknown control route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  return app;
}

function parseEnvelope(envelope: SpectrumEnvelope | string): SpectrumEnvelope | undefined {
  if (typeof envelope !== "string") return envelope;
  try {
    return JSON.parse(envelope) as SpectrumEnvelope;
  } catch {
    return undefined;
  }
}
