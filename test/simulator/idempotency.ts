/**
 * @module Idempotency keys as a server honours them: the same `x-idempotency-key` on the same route gets the first answer and does nothing again.
 */

/** A stored answer. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  body: Uint8Array;
}

interface Entry {
  /** The request body the key was first used with. */
  fingerprint: string;
  done?: StoredAnswer;
  /** Settles with the first request's answer (undefined when it failed without one). */
  pending?: Promise<StoredAnswer | undefined>;
}

/** What {@link IdempotencyStore.begin} decided for a request. */
export type IdempotencyDecision =
  | { kind: "replay"; answer: StoredAnswer; conflict: boolean }
  | { kind: "join"; answer: Promise<StoredAnswer | undefined>; conflict: boolean }
  | { kind: "first"; finish: (answer: StoredAnswer | undefined) => void };

/**
 * Keys by route. A key whose first request is still running makes later requests wait for its
 * answer ("join") instead of acting twice; a completed success is replayed ("replay"); a failure
 * frees the key for a retry. A key reused with a different body is flagged as a conflict (and still
 * answered with the first result), so tests can tell key collisions from retries.
 *
 * @example
 * const decision = store.begin("/v1/messages:sendText", key, bodyText);
 * if (decision.kind === "first") decision.finish(await handle());
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  begin(path: string, key: string, fingerprint: string): IdempotencyDecision {
    const id = `${path}\n${key}`;
    const entry = this.entries.get(id);
    if (entry?.done) return { kind: "replay", answer: entry.done, conflict: entry.fingerprint !== fingerprint };
    if (entry?.pending) return { kind: "join", answer: entry.pending, conflict: entry.fingerprint !== fingerprint };
    let settle: (answer: StoredAnswer | undefined) => void = () => {};
    const fresh: Entry = { fingerprint, pending: new Promise((resolve) => (settle = resolve)) };
    this.entries.set(id, fresh);
    return {
      kind: "first",
      finish: (answer) => {
        if (answer && answer.status >= 200 && answer.status < 300) {
          this.entries.set(id, { fingerprint, done: answer });
        } else if (this.entries.get(id) === fresh) {
          this.entries.delete(id);
        }
        settle(answer);
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }
}
