/** The part of the `ws` package the relay tests use (the package ships no types of its own). */
declare module "ws" {
  import type { IncomingMessage } from "node:http";
  import type { AddressInfo } from "node:net";

  export class WebSocket {
    send(data: string): void;
    terminate(): void;
    on(event: "message", listener: (data: Buffer) => void): this;
  }

  export class WebSocketServer {
    constructor(options: { port: number; host?: string; verifyClient?: () => boolean });
    readonly clients: Set<WebSocket>;
    address(): AddressInfo | string;
    on(event: "connection", listener: (socket: WebSocket, request: IncomingMessage) => void): this;
    once(event: "listening", listener: () => void): this;
    close(callback?: () => void): void;
  }
}
