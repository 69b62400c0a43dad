/**
 * @module node:http wrapper serving the simulator on 127.0.0.1.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSimulator, isDropResponse } from "./app.ts";
import type { Simulator, SimulatorOptions } from "./app.ts";

/** Options of {@link startSimulator}. */
export interface StartOptions extends SimulatorOptions {
  /** Port to listen on (0 or omitted: any free port). */
  port?: number;
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
}

/** A listening simulator. */
export interface RunningSimulator extends Simulator {
  /** `http://<host>:<port>` */
  url: string;
  port: number;
  close(): Promise<void>;
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = req.method ?? "GET";
  const abort = new AbortController();
  req.on("close", () => abort.abort());
  if (method === "GET" || method === "HEAD") return new Request(new URL(req.url ?? "/", origin), { method, headers, signal: abort.signal });
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(new URL(req.url ?? "/", origin), { method, headers, body, signal: abort.signal });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(response.status, [...response.headers]);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on("close", () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      res.write(value);
    }
  } finally {
    if (!res.writableEnded) res.end();
  }
}

/**
 * Starts the simulator on node:http.
 *
 * @example
 * const sim = await startSimulator({ port: 8790 });
 * console.log(sim.url); // http://127.0.0.1:8790
 * await sim.close();
 */
export async function startSimulator(options: StartOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? "127.0.0.1";
  const simulator = createSimulator(options);
  const log = options.logger ?? (() => {});
  let origin = `http://${host}`;
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const response = await simulator.fetch(await toRequest(req, origin));
        if (isDropResponse(response)) {
          req.socket.destroy();
          return;
        }
        await writeResponse(res, response);
      } catch (error) {
        log(`simulator: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.destroyed && !res.writableEnded) {
          res.writeHead(500, [["content-type", "text/plain"]]);
          res.end("simulator failed");
        }
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  origin = `http://${host}:${port}`;
  return Object.assign(simulator, {
    url: origin,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  });
}
