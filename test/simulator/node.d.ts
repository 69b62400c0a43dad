// Minimal Node typings for the simulator's node:http wrapper and CLI (the project has no @types/node).
declare module "node:http" {
  interface IncomingMessage extends AsyncIterable<Uint8Array> {
    method?: string;
    url?: string;
    headers: Record<string, string | string[] | undefined>;
    socket: { destroy(): void };
    on(event: "close", listener: () => void): this;
  }
  interface ServerResponse {
    writeHead(status: number, headers: [string, string][]): this;
    write(chunk: Uint8Array): boolean;
    end(chunk?: Uint8Array | string): this;
    on(event: "close", listener: () => void): this;
    readonly writableEnded: boolean;
    readonly destroyed: boolean;
  }
  interface Server {
    listen(port: number, host: string, callback: () => void): this;
    address(): { port: number; address: string } | string | null;
    close(callback?: (error?: Error) => void): this;
    closeAllConnections(): void;
    once(event: "error", listener: (error: Error) => void): this;
  }
  function createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
}

declare module "node:process" {
  const process: {
    argv: string[];
    env: Record<string, string | undefined>;
    exitCode?: number;
    on(signal: "SIGINT" | "SIGTERM", listener: () => void): void;
    exit(code?: number): never;
  };
  export default process;
}

declare module "node:fs/promises" {
  function readFile(path: URL | string, encoding: "utf8"): Promise<string>;
}
