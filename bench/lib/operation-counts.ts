/**
 * @module bench/lib/operation-counts
 * The shape of the counts `counting/instrument.ts` takes inside workerd and `operations.ts` reads in Node.
 */

/** Operations counted since the last reset (answered by `GET /__bench/operations`). */
export interface OperationCounts {
  /** Stub calls by Durable Object binding name. */
  durableObjectRequests: Record<string, number>;
  kvReads: number;
  kvWrites: number;
  kvDeletes: number;
  kvLists: number;
  sqlStatements: number;
  sqlRowsRead: number;
  sqlRowsWritten: number;
  /** Statements, rows read and rows written by Durable Object class and statement (whitespace collapsed). */
  sqlByStatement: Record<string, { statements: number; rowsRead: number; rowsWritten: number }>;
  /** `ctx.storage.get/put/delete/list` calls (the key-value API of a Durable Object). */
  storageCalls: number;
  alarmsSet: number;
  /** Outbound `fetch` calls by path (`/v1/messages:sendText`, …). */
  outbound: Record<string, number>;
  /** Invocations (Worker requests, Durable Object requests and alarms) that made outbound calls. */
  invocationsWithOutbound: number;
  /** Most outbound calls one invocation made (what its subrequest limit counts). */
  maxOutboundPerInvocation: number;
}

