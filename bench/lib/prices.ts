/**
 * @module bench/lib/prices
 * Workers Paid list prices for the units a delivery uses, read on 2026-11-29 from Cloudflare's pricing
 * pages, and the dollars a million deliveries cost at the margin (above the plan's included amounts).
 * Not counted: Durable Object duration (wall-clock GB-s while an object is awake) and storage.
 */

/** When the prices below were read. */
export const PRICES_READ_ON = "2026-11-29";

/** US dollars per million units beyond the included amounts, and where each figure comes from. */
export const PRICES = {
  workerRequests: { usdPerMillion: 0.3, source: "developers.cloudflare.com/workers/platform/pricing (Workers Standard: 10 M/month included)" },
  cpuMs: { usdPerMillion: 0.02, source: "developers.cloudflare.com/workers/platform/pricing (30 M CPU ms/month included)" },
  durableObjectRequests: { usdPerMillion: 0.15, source: "developers.cloudflare.com/durable-objects/platform/pricing (1 M/month included; each RPC call is a request)" },
  kvReads: { usdPerMillion: 0.5, source: "developers.cloudflare.com/kv/platform/pricing (10 M/month included)" },
  kvWrites: { usdPerMillion: 5.0, source: "developers.cloudflare.com/kv/platform/pricing (1 M/month included; deletes priced as writes)" },
  sqlRowsRead: { usdPerMillion: 0.001, source: "Durable Objects SQLite storage billing, the same rates as D1 (developers.cloudflare.com/d1/platform/pricing): 25 B/month included" },
  sqlRowsWritten: { usdPerMillion: 1.0, source: "Durable Objects SQLite storage billing, the same rates as D1 (developers.cloudflare.com/d1/platform/pricing): 50 M/month included" },
} as const;

/** Units one delivery uses. */
export interface DeliveryUnits {
  cpuMs: number;
  durableObjectRequests: number;
  kvReads: number;
  kvWrites: number;
  sqlRowsRead: number;
  sqlRowsWritten: number;
}

/**
 * Dollars per million deliveries at the margin: one Worker request each plus the units given.
 *
 * @example
 * usdPerMillionDeliveries({ cpuMs: 3, durableObjectRequests: 2, kvReads: 0, kvWrites: 1, sqlRowsRead: 4, sqlRowsWritten: 3 });
 */
export function usdPerMillionDeliveries(units: DeliveryUnits): number {
  return (
    PRICES.workerRequests.usdPerMillion +
    units.cpuMs * PRICES.cpuMs.usdPerMillion +
    units.durableObjectRequests * PRICES.durableObjectRequests.usdPerMillion +
    units.kvReads * PRICES.kvReads.usdPerMillion +
    units.kvWrites * PRICES.kvWrites.usdPerMillion +
    units.sqlRowsRead * PRICES.sqlRowsRead.usdPerMillion +
    units.sqlRowsWritten * PRICES.sqlRowsWritten.usdPerMillion
  );
}
