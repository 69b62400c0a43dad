/**
 * @module core/sleep
 * An abortable wait, shared by the delivery ledger (bounded waits beside running handlers) and the
 * gateway listener (its poll interval).
 */

/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (never rejects); the timer is
 * cleared either way.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await Promise.race([work, sleep(10_000, stop.signal)]);
 * stop.abort(); // clears the timer if `work` won
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    if (signal?.aborted) done();
    else signal?.addEventListener("abort", done, { once: true });
  });
}
