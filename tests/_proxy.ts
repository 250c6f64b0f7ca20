// A tiny TCP reverse proxy that cuts connections idle for `idleMs`, like a
// load balancer or a proxy's read timeout does. Built on node:net, so it runs
// on Deno, Bun and Node alike.
import { connect, createServer, type Socket } from "node:net";

export interface ProxiedConnection {
  /** The start of what the client sent (request lines), as text. */
  sent: string;
  /** `performance.now()` when the client closed its side, if it did. */
  clientClosedAt?: number;
}

export interface IdleProxy {
  url: string;
  port: number;
  /** How many connections the proxy cut for being idle. */
  readonly cuts: number;
  /** Every connection so far. */
  readonly connections: ProxiedConnection[];
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:(port) to 127.0.0.1:`upstreamPort`; cuts after `idleMs` without a byte. */
export function idleProxy(upstreamPort: number, idleMs = 0x7fffffff): Promise<IdleProxy> {
  const sockets = new Set<Socket>();
  const connections: ProxiedConnection[] = [];
  let cuts = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect(upstreamPort, "127.0.0.1");
    const connection: ProxiedConnection = { sent: "" };
    connections.push(connection);
    sockets.add(client);
    sockets.add(upstream);
    client.on("data", (chunk: Uint8Array) => {
      if (connection.sent.length < 16_384) connection.sent += new TextDecoder().decode(chunk);
    });
    const clientClosed = () => connection.clientClosedAt ??= performance.now();
    client.on("end", clientClosed);
    client.on("close", clientClosed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        cuts++;
        end();
      }, idleMs);
    };
    const forward = (from: Socket, to: Socket) => {
      from.on("data", (chunk: Uint8Array) => {
        touch();
        to.write(chunk);
      });
      from.on("end", end);
      from.on("close", end);
      from.on("error", end);
    };
    forward(client, upstream);
    forward(upstream, client);
    touch();
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        get cuts() {
          return cuts;
        },
        connections,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
