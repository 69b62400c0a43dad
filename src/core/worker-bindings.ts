/**
 * @module core/worker-bindings
 * Durable without wiring: when `createiMessageAdapter` is given no `env` (the seed's snippet verbatim),
 * the adapter looks up the Worker's bindings itself through `cloudflare:workers` when it is initialized,
 * and uses the `DELIVERY_LEDGER` (exactly once, crash-safe) and `GATEWAY` (group spaces) Durable Objects
 * it finds. Without them it says once, at warn, what is lost and which `wrangler.toml` lines to add.
 */

/** The lines a user adds to `wrangler.toml` to make deliveries crash-safe (the classes are exported by `chat-adapter-imessage/worker`). */
export const LEDGER_WRANGLER_LINES = [
  "[[durable_objects.bindings]]",
  'name = "DELIVERY_LEDGER"',
  'class_name = "DeliveryLedger"',
  "[[durable_objects.bindings]]",
  'name = "GATEWAY"',
  'class_name = "GatewayDO"',
  "[[migrations]]",
  'tag = "v1"',
  'new_sqlite_classes = ["DeliveryLedger", "GatewayDO"]',
].join("\n");

/** What the warning says when no ledger binding exists. */
export const NOT_CRASH_SAFE =
  "deliveries are not crash-safe: no DELIVERY_LEDGER Durable Object is bound, so each message is handled in the request's waitUntil " +
  "(an isolate that dies mid-handler loses it, and a redeploy can answer it twice). Add to wrangler.toml, and export the classes " +
  `from your Worker (export { DeliveryLedger, GatewayDO } from "chat-adapter-imessage/worker"):\n${LEDGER_WRANGLER_LINES}`;

/**
 * The Worker's env from `cloudflare:workers`, or undefined outside workerd (Node, tests in Node).
 *
 * @example
 * ```ts
 * const env = await workerEnv();
 * if (env?.DELIVERY_LEDGER) console.log("durable");
 * ```
 */
export async function workerEnv(): Promise<Record<string, unknown> | undefined> {
  try {
    const specifier = "cloudflare:workers";
    const module = (await import(/* @vite-ignore */ specifier)) as { env?: Record<string, unknown> };
    return module.env && typeof module.env === "object" ? module.env : undefined;
  } catch {
    return undefined;
  }
}
