/**
 * @module durable-objects/bindings
 * The Worker bindings this package reads, all optional: the Durable Objects it brings and the variables
 * and secrets of its configuration. A user's `Env` (from `wrangler types`) satisfies it; library types
 * are generic over it instead of reading an ambient `Env`.
 */
import type { DurableObjectBinding } from "../core/durable-object-binding.ts";
import type { ChatStateRpc } from "../state/chat-state-rpc.ts";
import type { LedgerReplayRpc, LedgerRpc } from "../ledger/durable-ledger.ts";
import type { SpaceStoreRpc } from "../spaces/gateway-directory.ts";

/** What a Worker running the iMessage adapter may bind (see `wrangler.toml` in the README). */
export interface iMessageBindings {
  /** The delivery ledgers (`DeliveryLedger` class): exactly once, durable execution. */
  DELIVERY_LEDGER?: DurableObjectBinding<LedgerRpc & LedgerReplayRpc>;
  /** The gateway (`GatewayDO` class): group spaces, keepalive, catch-up, relay, dead-letter index. */
  GATEWAY?: DurableObjectBinding<SpaceStoreRpc>;
  /** Chat SDK state shards (`ChatStateDO` class), for `createDurableObjectState`. */
  CHAT_STATE?: DurableObjectBinding<ChatStateRpc>;
  IMESSAGE_LOCAL?: string;
  IMESSAGE_PROJECT_ID?: string;
  IMESSAGE_PROJECT_SECRET?: string;
  IMESSAGE_SERVER_URL?: string;
  IMESSAGE_API_KEY?: string;
  IMESSAGE_PHONE?: string;
  IMESSAGE_WEBHOOK_SECRET?: string;
  IMESSAGE_USER_NAME?: string;
  IMESSAGE_FORMATTING?: string;
  IMESSAGE_DEFAULT_COUNTRY?: string;
  IMESSAGE_MAX_ATTACHMENT_BYTES?: string;
  IMESSAGE_HTTP_ADDRESS?: string;
  IMESSAGE_REDELIVERY_BASE_MS?: string;
  IMESSAGE_REDELIVERY_MAX_MS?: string;
  IMESSAGE_GATEWAY_CATCH_UP?: string;
  IMESSAGE_GATEWAY_SPACE_LIMIT?: string;
  SPECTRUM_CLOUD_URL?: string;
  /** Bearer secret of the cron routes (`/api/imessage/gateway`, dead letters). */
  CRON_SECRET?: string;
  /** Bearer secret of the local bridge's relay. */
  RELAY_SECRET?: string;
}
