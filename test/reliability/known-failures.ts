/**
 * @module reliability/known-failures
 * Scenarios that fail against the code as it is, marked `it.fails` so `npm test` stays green while
 * the durable delivery path is rebuilt. A marked scenario that starts passing fails the run: drop
 * its entry then. `RELIABILITY_STRICT=1` runs every scenario as a plain test (what it should be).
 */
import { it, type TestAPI } from "vitest";

/** Scenario name → why it fails today (shown in the report to the lead; keep it short). */
export const KNOWN_FAILURES: Record<string, string> = {
  // Empty against the code at 10:25 UTC on 2026-11-29 (token expiry passes with src/transport/reauth.ts).
};

/**
 * `it`, or `it.fails` for a scenario listed in {@link KNOWN_FAILURES}.
 *
 * @example
 * knownFailure("500")("500 on 10% of sends: every message answered once", async () => { ... });
 */
export function knownFailure(name: string): TestAPI | typeof it.fails {
  return name in KNOWN_FAILURES && process.env.RELIABILITY_STRICT !== "1" ? it.fails : it;
}
