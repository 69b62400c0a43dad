/**
 * @module bench/lib/deliveries
 * The deliveries the bench sends: signed Spectrum `messages` envelopes for DMs, with the top-level
 * `space` beside `message` (the reference adapter routes only that form; ours accepts both), and a
 * mix with exact duplicates (same webhook id, same body) as Spectrum's retries produce.
 */
import { spectrumWebhookHeaders } from "../../test/simulator/client.ts";

/** One delivery as it goes over the wire. */
export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
  /** True when this is a copy of an earlier delivery in the same list. */
  duplicate: boolean;
}

/**
 * The envelope of DM number `index` in run `runId`: its own message id, and one of `conversations`
 * DM spaces.
 *
 * @example
 * const body = dmEnvelope("run1", 0, 50, "hello");
 */
export function dmEnvelope(runId: string, index: number, conversations: number, text: string): string {
  const address = `+1555${String(index % conversations).padStart(7, "0")}`;
  const space = { id: `any;-;${address}`, platform: "imessage", type: "dm", phone: "shared" };
  return JSON.stringify({
    event: "messages",
    space,
    message: {
      id: `bench-${runId}-${index}`,
      platform: "imessage",
      direction: "inbound",
      timestamp: new Date().toISOString(),
      sender: { id: address, platform: "imessage" },
      space,
      content: { type: "text", text },
    },
  });
}

/** Options of {@link signedDeliveries}. */
export interface DeliveryMix {
  runId: string;
  /** Unique deliveries. */
  unique: number;
  /** Exact copies added, as a share of `unique` (0.3 = 30 %), spread through the list. */
  duplicateShare?: number;
  /** Distinct DM conversations the unique deliveries cycle through. */
  conversations: number;
  secret: string;
  text?: string;
}

/**
 * Signs a list of DM deliveries (timestamps are now: send them within 5 minutes). Each duplicate is an
 * exact copy of an earlier unique delivery and follows it by a few places, as a sender's retry would.
 *
 * @example
 * const deliveries = await signedDeliveries({ runId: "a", unique: 100, duplicateShare: 0.3, conversations: 50, secret });
 */
export async function signedDeliveries(mix: DeliveryMix): Promise<SignedDelivery[]> {
  const unique: SignedDelivery[] = [];
  for (let i = 0; i < mix.unique; i++) {
    const body = dmEnvelope(mix.runId, i, mix.conversations, mix.text ?? "hello");
    unique.push({ body, headers: await spectrumWebhookHeaders({ secret: mix.secret, body, webhookId: `wh_${mix.runId}_${i}` }), duplicate: false });
  }
  const copies = Math.round(mix.unique * (mix.duplicateShare ?? 0));
  if (copies === 0) return unique;
  const every = mix.unique / copies;
  const out: SignedDelivery[] = [];
  let copied = 0;
  unique.forEach((delivery, i) => {
    out.push(delivery);
    // The copy of delivery i goes in after delivery i + 2, so some copies race the original.
    const source = i - 2;
    if (source >= 0 && copied < copies && source >= copied * every) {
      out.push({ ...unique[source]!, duplicate: true });
      copied++;
    }
  });
  for (let i = mix.unique - 2; copied < copies && i < mix.unique; i++, copied++) out.push({ ...unique[i]!, duplicate: true });
  return out;
}

/**
 * The demo bot as a Worker without the gateway's opt-in spectrum-ts app runs (the template, the
 * README's snippets): its envelopes are not streamed to the gateway, one Durable Object request each.
 */
export const OURS_VARS = { DEMO_STREAM_ENVELOPES: "false" };
