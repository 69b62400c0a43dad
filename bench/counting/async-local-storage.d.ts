// The part of `node:async_hooks` used by the counting harness (instrument.ts) and
// test/ledger-subrequests.test.ts: workerd provides it with nodejs_compat; this type-check has no Node types.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
