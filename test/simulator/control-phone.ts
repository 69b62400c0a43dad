/**
 * @module Control routes of the phone side (`/__sim/webhook`, `GET /__sim/attachments/:guid`): the
 * webhook registration that gets echoes and read receipts, and attachment bytes for the chat page.
 */
import type { Hono } from "hono";
import type { Simulator } from "./app.ts";
import { parseRegistration } from "./phone-webhook.ts";

/** Adds the routes to the control app (mounted under `/__sim`). */
export function phoneRoutes(app: Hono, sim: Simulator): void {
  app.get("/webhook", (c) => c.json({ webhooks: sim.webhooks.list() }));
  app.post("/webhook", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      body = undefined;
    }
    const input = parseRegistration(body);
    if (typeof input === "string") return c.json({ error: input }, 400);
    return c.json({ webhook: sim.webhooks.register(input) });
  });
  app.delete("/webhook", (c) => {
    sim.webhooks.remove();
    return c.json({ ok: true });
  });
  app.delete("/webhook/:id", (c) => {
    sim.webhooks.remove(c.req.param("id"));
    return c.json({ ok: true });
  });

  /** An attachment's bytes without a bearer token (the chat page shows photos with it). */
  app.get("/attachments/:guid", (c) => {
    const attachment = sim.world().attachments.get(c.req.param("guid"));
    if (!attachment) return c.json({ error: `no attachment ${c.req.param("guid")}` }, 404);
    return new Response(new Uint8Array(attachment.bytes), {
      headers: { "content-type": attachment.mimeType, "cache-control": "no-store" },
    });
  });
}
