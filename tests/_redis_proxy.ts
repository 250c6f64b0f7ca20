// A TCP proxy in front of redis-server that can cut its connections for a
// while, like a network partition between one instance and Redis: open
// connections are destroyed and new ones refused until the cut ends.
import { connect, createServer, type Socket } from "node:net";

export interface CuttableProxy {
  port: number;
  /** Destroys every connection and refuses new ones for `ms`. */
  cut(ms: number): void;
  close(): Promise<void>;
}

export function cuttableProxy(upstreamPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let cutUntil = 0;
  const server = createServer((client: Socket) => {
    if (performance.now() < cutUntil) return void client.destroy();
    const upstream = connect(upstreamPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as { port: number }).port,
        cut(ms: number) {
          cutUntil = performance.now() + ms;
          for (const socket of sockets) socket.destroy();
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
