/**
 * @module adapter/dependencies
 * What an iMessage adapter is wired with besides its configuration: the delivery ledger and the space
 * directory (durable ones on Workers), or how to find them in the Worker.
 */
import type { DeliveryLedgerClient } from "../ledger/ledger.ts";
import type { SpaceDirectory } from "../spaces/directory.ts";

/** Collaborators the adapter is wired with (the Worker supplies durable ones). */
export interface AdapterDependencies {
  /** Exactly-once ledger of deliveries; memory when omitted (one process only). */
  ledger?: DeliveryLedgerClient;
  /** Directory of spaces seen; the Chat state when omitted. */
  spaces?: SpaceDirectory;
  /**
   * Looks up the durable parts on the first delivery (`createiMessageAdapter` without `env` finds the
   * Worker's bindings through `cloudflare:workers`); a ledger it finds replaces the memory one.
   */
  findDurableParts?: () => Promise<Pick<AdapterDependencies, "ledger" | "spaces">>;
}
