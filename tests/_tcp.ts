// A raw HTTP/1.1 client over node:net (available on Deno, Bun and Node), for
// what fetch hides: keep-alive sockets, half-dead clients, slow readers.
import { connect, type Socket } from "node:net";

export interface RawClient {
  socket: Socket;
  /** Everything received so far, as text. */
  text(): string;
  /** Resolves when the server closes the connection. */
  ended: Promise<void>;
  /** Resolves once the received text contains `needle`. */
  waitFor(needle: string, ms?: number): Promise<void>;
  close(): void;
}

/** Opens a socket to `port` and sends a GET for `path` (keep-alive by default). */
export function rawGet(
  port: number,
  path = "/",
  headers: Record<string, string> = { connection: "keep-alive" },
): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const waiters: (() => void)[] = [];
    const ended = new Promise<void>((done) => {
      socket.on("end", () => done());
      socket.on("close", () => done());
    });
    socket.on("data", (chunk: Uint8Array) => {
      received += new TextDecoder().decode(chunk);
      for (const wake of waiters.splice(0)) wake();
    });
    socket.on("error", () => {});
    socket.once("connect", () => {
      const lines = [`GET ${path} HTTP/1.1`, "host: 127.0.0.1"];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(lines.join("\r\n") + "\r\n\r\n");
      resolve({
        socket,
        text: () => received,
        ended,
        waitFor(needle, ms = 3000) {
          return new Promise<void>((done, fail) => {
            const check = () => {
              if (!received.includes(needle)) return false;
              clearTimeout(timer);
              done();
              return true;
            };
            const timer = setTimeout(() => {
              const index = waiters.indexOf(onData);
              if (index >= 0) waiters.splice(index, 1);
              const tail = received.length > 300 ? `…${received.slice(-300)}` : received;
              fail(new Error(`no ${JSON.stringify(needle)} in ${JSON.stringify(tail)}`));
            }, ms);
            const onData = () => {
              if (!check()) waiters.push(onData);
            };
            onData();
          });
        },
        close: () => socket.destroy(),
      });
    });
    socket.once("error", reject);
  });
}
