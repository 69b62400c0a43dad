/**
 * @module bench/counting/instrument
 * Counts what a delivery costs in billed operations, by wrapping the bindings of a Worker and of its
 * Durable Objects (under `wrangler dev`, where the Worker and its Durable Objects share one isolate):
 * Durable Object requests (every stub call: one RPC session or fetch, as billed), KV reads, writes,
 * deletes and lists, SQLite rows read and written (`cursor.rowsRead/rowsWritten`, index writes
 * included) and statements, Durable Object storage-API calls and alarms set, and outbound `fetch`
 * calls, also per invocation (each Worker request and each Durable Object request or alarm runs in an
 * async context of its own, `AsyncLocalStorage`, which follows every promise started there: a fetch
 * counts against the invocation whose work made it). `bench/operations.ts` generates the entry that
 * applies it to the Worker under test.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { OperationCounts } from "../lib/operation-counts.ts";

/** One Worker request, or one request or alarm of a Durable Object (`object`: which one). */
interface Invocation {
  object: object | undefined;
  outbound: number;
}

const invocation = new AsyncLocalStorage<Invocation>();
/** Invocations since the last reset that made an outbound call. */
let invocations = new Set<Invocation>();

/** Runs `body` as a new invocation of `object`, unless it is a call inside one of that same object. */
function asInvocation<T>(object: object | undefined, body: () => T): T {
  const current = invocation.getStore();
  if (current && object !== undefined && current.object === object) return body();
  return invocation.run({ object, outbound: 0 }, body);
}

function zero(): OperationCounts {
  return {
    durableObjectRequests: {},
    kvReads: 0,
    kvWrites: 0,
    kvDeletes: 0,
    kvLists: 0,
    sqlStatements: 0,
    sqlRowsRead: 0,
    sqlRowsWritten: 0,
    sqlByStatement: {},
    storageCalls: 0,
    alarmsSet: 0,
    outbound: {},
    invocationsWithOutbound: 0,
    maxOutboundPerInvocation: 0,
  };
}

let counts = zero();
/** Cursors whose row counts are read when the counts are taken (they are final once consumed), with their statement. */
let cursors: { statement: string; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[] = [];

/**
 * The counts so far (cursors' rows included), and a fresh start when `reset`.
 *
 * @example
 * const perDelivery = takeCounts(true);
 */
export function takeCounts(reset: boolean): OperationCounts {
  for (const { statement, cursor } of cursors) {
    counts.sqlRowsRead += cursor.rowsRead;
    counts.sqlRowsWritten += cursor.rowsWritten;
    const entry = (counts.sqlByStatement[statement] ??= { statements: 0, rowsRead: 0, rowsWritten: 0 });
    entry.statements++;
    entry.rowsRead += cursor.rowsRead;
    entry.rowsWritten += cursor.rowsWritten;
  }
  cursors = [];
  counts.invocationsWithOutbound = invocations.size;
  counts.maxOutboundPerInvocation = Math.max(0, ...[...invocations].map((i) => i.outbound));
  const taken: OperationCounts = structuredClone(counts);
  if (reset) {
    counts = zero();
    invocations = new Set();
  }
  return taken;
}

const realFetch = globalThis.fetch;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  counts.outbound[url.pathname] = (counts.outbound[url.pathname] ?? 0) + 1;
  const current = invocation.getStore();
  if (current) {
    current.outbound++;
    invocations.add(current);
  }
  return realFetch(input, init);
};

/** A proxy whose functions stay bound to `target` (native objects check their receiver). */
function bound<T extends object>(target: T, override: (property: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(object, property) {
      const replaced = override(property);
      if (replaced !== undefined) return replaced;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

const STUB_FIELDS = new Set<string | symbol>(["id", "name", "then"]);

function countedStub(stub: object, binding: string): object {
  return new Proxy(stub, {
    get(object, property) {
      if (typeof property === "symbol" || STUB_FIELDS.has(property)) return Reflect.get(object, property, object);
      return (...args: unknown[]) => {
        counts.durableObjectRequests[binding] = (counts.durableObjectRequests[binding] ?? 0) + 1;
        return (object as Record<string, (...a: unknown[]) => unknown>)[property]!(...args);
      };
    },
  });
}

function countedNamespace(namespace: DurableObjectNamespace, binding: string): DurableObjectNamespace {
  return bound(namespace, (property) => {
    if (property === "get" || property === "getByName") {
      return (...args: unknown[]) => countedStub((namespace as unknown as Record<string, (...a: unknown[]) => object>)[property]!(...args), binding);
    }
    return undefined;
  });
}

function keysIn(key: unknown): number {
  return Array.isArray(key) ? key.length : 1;
}

function countedKv(kv: KVNamespace): KVNamespace {
  const call = (name: "get" | "getWithMetadata" | "put" | "delete" | "list", tally: (args: unknown[]) => void) =>
    (...args: unknown[]) => {
      tally(args);
      return (kv[name] as (...a: unknown[]) => unknown).apply(kv, args);
    };
  return bound(kv, (property) => {
    switch (property) {
      case "get":
      case "getWithMetadata":
        return call(property, (args) => void (counts.kvReads += keysIn(args[0])));
      case "put":
        return call(property, () => void counts.kvWrites++);
      case "delete":
        return call(property, () => void counts.kvDeletes++);
      case "list":
        return call(property, () => void counts.kvLists++);
      default:
        return undefined;
    }
  });
}

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return typeof value === "object" && value !== null && typeof (value as DurableObjectNamespace).idFromName === "function";
}

function isKv(value: unknown): value is KVNamespace {
  return typeof value === "object" && value !== null && typeof (value as KVNamespace).getWithMetadata === "function";
}

const envs = new WeakMap<object, object>();

/**
 * `env` with its Durable Object namespaces and KV namespaces counted; the same object for the same `env`
 * (bots are cached per env).
 *
 * @example
 * return handler.fetch(request, countedEnv(env), ctx);
 */
export function countedEnv<E extends object>(env: E): E {
  let counted = envs.get(env);
  if (!counted) {
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(env)) {
      wrapped[name] = isNamespace(value) ? countedNamespace(value, name) : isKv(value) ? countedKv(value) : value;
    }
    counted = wrapped;
    envs.set(env, counted);
  }
  return counted as E;
}

function countedSql(sql: SqlStorage, className: string): SqlStorage {
  return bound(sql, (property) =>
    property === "exec"
      ? (query: string, ...bindings: unknown[]) => {
          counts.sqlStatements++;
          const cursor = sql.exec(query, ...(bindings as SqlStorageValue[]));
          cursors.push({ statement: `${className}: ${query.replace(/\s+/g, " ").trim().slice(0, 120)}`, cursor });
          return cursor;
        }
      : undefined,
  );
}

/**
 * Counts on the Durable Object's own storage object: the runtime accepts only the real
 * `DurableObjectState`, so its `storage` is patched in place (before the class's constructor runs).
 */
function countStorage(ctx: DurableObjectState, className: string): void {
  const storage = ctx.storage;
  const patch = (name: string, value: unknown) => Object.defineProperty(storage, name, { value, configurable: true });
  patch("sql", countedSql(storage.sql, className));
  const setAlarm = storage.setAlarm.bind(storage);
  patch("setAlarm", (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
    counts.alarmsSet++;
    return setAlarm(...args);
  });
  for (const name of ["get", "put", "delete", "list"] as const) {
    const method = (storage[name] as (...a: unknown[]) => unknown).bind(storage);
    patch(name, (...args: unknown[]) => {
      counts.storageCalls++;
      return method(...args);
    });
  }
}

/** A Durable Object class constructor, whatever its env type. */
type DurableObjectClass = new (ctx: DurableObjectState, env: never) => object;

/** Method names of `Base`'s prototype chain below `Object.prototype` (what RPC, `fetch` and `alarm` call). */
function methodsOf(Base: DurableObjectClass): string[] {
  const names = new Set<string>();
  for (let proto = Base.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== "constructor" && typeof descriptor?.value === "function") names.add(name);
    }
  }
  return [...names];
}

/**
 * `Base` with its storage and its env's bindings counted, and each call into it from outside (an RPC
 * method, `fetch`, `alarm`) an invocation of its own for the outbound calls per invocation.
 *
 * @example
 * export class ChatStateDO extends countedDurableObject(root.ChatStateDO) {}
 */
export function countedDurableObject<T extends DurableObjectClass>(Base: T): T {
  const Counted = class extends (Base as unknown as new (ctx: DurableObjectState, env: object) => object) {
    constructor(ctx: DurableObjectState, env: object) {
      countStorage(ctx, Base.name);
      super(ctx, countedEnv(env));
    }
  };
  for (const name of methodsOf(Base)) {
    const method = (Base.prototype as Record<string, (...args: unknown[]) => unknown>)[name]!;
    Object.defineProperty(Counted.prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: object, ...args: unknown[]) {
        return asInvocation(this, () => method.apply(this, args));
      },
    });
  }
  return Counted as unknown as T;
}

/**
 * The Worker's handler with counted bindings, plus `GET /__bench/operations[?reset=1]` answering
 * {@link OperationCounts} as JSON.
 *
 * @example
 * export default countedWorker(root.default);
 */
export function countedWorker<E extends object>(handler: ExportedHandler<E>): ExportedHandler<E> {
  return {
    ...handler,
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      if (url.pathname === "/__bench/operations") return Response.json(takeCounts(url.searchParams.has("reset")));
      if (!handler.fetch) return new Response("the Worker has no fetch handler", { status: 500 });
      return await asInvocation(undefined, () => handler.fetch!(request, countedEnv(env), ctx));
    },
    ...(handler.scheduled
      ? { scheduled: async (controller: ScheduledController, env: E, ctx: ExecutionContext) => await handler.scheduled?.(controller, countedEnv(env), ctx) }
      : {}),
  };
}
