/**
 * @module simulator-suite
 * What the simulator's workerd suites share: the simulator of this test file (its URL from the
 * Worker's bindings), its demo group, a project of the suite's own, and the real HTTP client.
 */
import { env } from "cloudflare:workers";
import { IMessageError, createHttpClient } from "@photon-ai/advanced-imessage/http";
import type { AdvancedIMessage, ClientOptions } from "@photon-ai/advanced-imessage/http";
import { expect } from "vitest";
import { simulatorClient } from "./simulator/client.ts";

export const SIM_URL = (env as unknown as { SIMULATOR_URL: string }).SIMULATOR_URL;
export const sim = simulatorClient(SIM_URL);
export const DEMO_GROUP = "any;+;chat914325730198374";
export const PROJECT = "proj_simulator_suite";
export const SECRET = "secret_simulator_suite";

export function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${id}:${secret}`)}`;
}

export async function cloud(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${SIM_URL}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function issueToken(projectId = PROJECT, secret = SECRET): Promise<Record<string, unknown>> {
  const { status, body } = await cloud(`/projects/${projectId}/imessage/tokens`, {
    method: "POST",
    headers: { authorization: basic(projectId, secret) },
  });
  expect(status).toBe(200);
  expect(body.succeed).toBe(true);
  return body.data as Record<string, unknown>;
}

export function client(token: string, options: Partial<ClientOptions> = {}): AdvancedIMessage {
  return createHttpClient({ address: SIM_URL, token, autoIdempotency: true, timeout: 5_000, ...options });
}

export async function rejection(promise: Promise<unknown>): Promise<IMessageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IMessageError);
    return error as IMessageError;
  }
  throw new Error("expected the call to fail");
}

/** Registers the suite's project with the simulator and issues its token (call it in `beforeAll`). */
export async function suiteToken(): Promise<string> {
  await sim.project({ projectId: PROJECT, secret: SECRET, mode: "shared", expiresIn: 3600 });
  return (await issueToken()).token as string;
}
