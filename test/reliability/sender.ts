/**
 * @module reliability/sender
 * A webhook sender that behaves like Spectrum Cloud's deliverer: signed `v0=` deliveries, at most
 * 6 attempts per delivery, a 30 s timeout per attempt, exponential backoff with jitter (about 39 s
 * in all), retries on 5xx / 408 / 429 / network errors / timeouts, any other 4xx final, redirects
 * final, and no dead-letter queue: a delivery that runs out of attempts is gone.
 */
import { spectrumWebhookHeaders } from "../simulator/webhook.ts";

/** Spectrum's retry contract (test/reliability/README.md, "The sender"). */
export const SPECTRUM_POLICY = {
  maxAttempts: 6,
  attemptTimeoutMs: 30_000,
  /** Backoff before attempt n+1 is `firstBackoffMs * 2^(n-1)` ± 20 %: 1.25 + 2.5 + 5 + 10 + 20 s ≈ 39 s. */
  firstBackoffMs: 1_250,
  jitter: 0.2,
} as const;

/** Options of {@link SpectrumSender}. */
export interface SenderOptions {
  /** The receiver, e.g. `http://127.0.0.1:8787/api/imessage/webhook`. */
  url: string;
  secret: string;
  /**
   * Multiplies the backoff waits; 1 is Spectrum's real timing, 0.05 squeezes the ≈ 39 s of backoff
   * into ≈ 2 s ("simulated" time). The 30 s attempt timeout is not scaled.
   */
  timeScale?: number;
  /** In-flight HTTP attempts at most (backoff waits do not hold a slot). Default 16. */
  concurrency?: number;
  /** Source of jitter (default Math.random). */
  random?: () => number;
}

/** One HTTP attempt of a delivery. */
export interface AttemptRecord {
  at: number;
  /** HTTP status, or 0 for a network error or timeout. */
  status: number;
  error?: string;
}

/** How a delivery ended: answered 2xx, refused for good (a non-retryable status), or out of attempts. */
export type DeliveryEnd = "accepted" | "refused" | "gave-up";

/** The record of one delivery (one webhook id + one message id), all attempts included. */
export interface DeliveryReport {
  webhookId: string;
  messageId: string;
  end: DeliveryEnd;
  attempts: AttemptRecord[];
  /** Body of the last answer (for the `status` field of the Worker's JSON). */
  lastBody: string;
}

/** Whether Spectrum retries after this answer (status 0: network error or timeout). */
export function isRetryable(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** Backoff before the attempt after `attempt` (1-based), in ms of real time. */
export function backoffMs(attempt: number, timeScale: number, random: () => number): number {
  const base = SPECTRUM_POLICY.firstBackoffMs * 2 ** (attempt - 1);
  return base * (1 - SPECTRUM_POLICY.jitter + 2 * SPECTRUM_POLICY.jitter * random()) * timeScale;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A counting semaphore for in-flight attempts. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * Delivers signed webhooks with Spectrum's retry policy.
 *
 * @example
 * const sender = new SpectrumSender({ url: `${workerUrl}/api/imessage/webhook`, secret: "whsec_demo" });
 * const report = await sender.deliver(JSON.stringify(envelope), "wh_1", envelope.message.id);
 * if (report.end !== "accepted") console.log("Spectrum gave up on", report.messageId);
 */
export class SpectrumSender {
  private readonly timeScale: number;
  private readonly random: () => number;
  private readonly slots: Slots;
  private readonly options: SenderOptions;
  /** While false, every attempt fails as a network error without reaching the receiver. */
  reachable = true;

  constructor(options: SenderOptions) {
    this.options = options;
    this.timeScale = options.timeScale ?? 1;
    this.random = options.random ?? Math.random;
    this.slots = new Slots(options.concurrency ?? 16);
  }

  /** Delivers one body under one webhook id until it is answered 2xx, refused, or out of attempts. */
  async deliver(body: string, webhookId: string, messageId: string): Promise<DeliveryReport> {
    const attempts: AttemptRecord[] = [];
    let lastBody = "";
    for (let attempt = 1; attempt <= SPECTRUM_POLICY.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs(attempt - 1, this.timeScale, this.random));
      const result = await this.attempt(body, webhookId);
      attempts.push(result.record);
      lastBody = result.body;
      const { status } = result.record;
      if (status >= 200 && status < 300) return { webhookId, messageId, end: "accepted", attempts, lastBody };
      if (!isRetryable(status)) return { webhookId, messageId, end: "refused", attempts, lastBody };
    }
    return { webhookId, messageId, end: "gave-up", attempts, lastBody };
  }

  private async attempt(body: string, webhookId: string): Promise<{ record: AttemptRecord; body: string }> {
    await this.slots.take();
    const at = Date.now();
    try {
      if (!this.reachable) return { record: { at, status: 0, error: "receiver unreachable" }, body: "" };
      const headers = await spectrumWebhookHeaders({ secret: this.options.secret, body, webhookId });
      const response = await fetch(this.options.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(SPECTRUM_POLICY.attemptTimeoutMs),
      });
      return { record: { at, status: response.status }, body: await response.text() };
    } catch (error) {
      return { record: { at, status: 0, error: error instanceof Error ? error.message : String(error) }, body: "" };
    } finally {
      this.slots.give();
    }
  }
}
