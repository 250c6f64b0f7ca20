// The soak's client side (Deno, in the orchestrator): raw TCP connections on
// loopback, so a test can read fast, slowly, not at all, or drop the
// connection at a chosen moment.

import { ResponseReader } from "../bench/http.ts";

/** One SSE request on its own connection. */
export class Conn {
  readonly conn: Deno.TcpConn;
  readonly reader: ResponseReader;
  /** The decoded body so far (latin1 is enough to find ASCII fields). */
  text = "";
  bytes = 0;
  /** Wall-clock ms when the body or the connection ended (0 while open). */
  endedAt = 0;
  /** How it ended: "body" (complete), "eof", "reset", "closed" (by us). */
  end: "body" | "eof" | "reset" | "closed" | null = null;
  #keepText: boolean;
  #onBody: ((piece: Uint8Array) => void) | undefined;
  #firstBody: PromiseWithResolvers<void> = Promise.withResolvers();

  private constructor(conn: Deno.TcpConn, keepText: boolean, onBody?: (piece: Uint8Array) => void) {
    this.conn = conn;
    this.#keepText = keepText;
    this.#onBody = onBody;
    this.reader = new ResponseReader((piece) => {
      this.bytes += piece.length;
      if (this.#keepText) this.text += latin1(piece);
      this.#onBody?.(piece);
      this.#firstBody.resolve();
    });
  }

  /** Connects and sends `GET path`. */
  static async open(
    port: number,
    path: string,
    options: { keepText?: boolean; onBody?: (piece: Uint8Array) => void } = {},
  ): Promise<Conn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    const request = `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request));
    return new Conn(conn, options.keepText ?? false, options.onBody);
  }

  /** The client's port: identifies the connection in `ss`. */
  get localPort(): number {
    return this.conn.localAddr.port;
  }

  /** Resolves at the first body byte. */
  get firstBody(): Promise<void> {
    return this.#firstBody.promise;
  }

  /** Reads until the body ends or the connection does; `slow`: `bytes` per `everyMs`. */
  async readToEnd(slow?: { bytes: number; everyMs: number }): Promise<void> {
    const buffer = new Uint8Array(slow ? slow.bytes : 64 * 1024);
    try {
      while (this.end === null) {
        const n = await this.conn.read(buffer);
        if (n === null) return this.#ended("eof");
        this.reader.push(buffer.subarray(0, n));
        if (this.reader.done) return this.#ended("body");
        if (slow) await new Promise((resolve) => setTimeout(resolve, slow.everyMs));
      }
    } catch {
      if (this.end === null) this.#ended("reset");
    }
  }

  /** Reads until `predicate` holds for the body so far (or the body ends). */
  async readUntil(predicate: (conn: Conn) => boolean): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (this.end === null && !predicate(this)) {
        const n = await this.conn.read(buffer);
        if (n === null) return this.#ended("eof");
        this.reader.push(buffer.subarray(0, n));
        if (this.reader.done) return this.#ended("body");
      }
    } catch {
      if (this.end === null) this.#ended("reset");
    }
  }

  /** Drops the connection (the client goes away). */
  close(): void {
    if (this.end === null) this.#ended("closed");
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  #ended(how: "body" | "eof" | "reset" | "closed"): void {
    this.end = how;
    this.endedAt = Date.now();
    this.#firstBody.resolve();
  }
}

function latin1(piece: Uint8Array): string {
  let text = "";
  for (let i = 0; i < piece.length; i += 8192) {
    text += String.fromCharCode(...piece.subarray(i, i + 8192));
  }
  return text;
}

/**
 * The state of the server's end of a connection (from `ss`): `"gone"`, or
 * its TCP state with the bytes it still has to send.
 */
export async function serverSocket(serverPort: number, clientPort: number): Promise<string> {
  const out = await new Deno.Command("ss", {
    args: ["-tanH", `( sport = :${serverPort} and dport = :${clientPort} )`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n")[0];
  if (!line) return "gone";
  const [state, , sendQ] = line.split(/\s+/);
  return Number(sendQ) > 0
    ? `${state} (${(Number(sendQ) / 1048576).toFixed(1)} MiB unsent)`
    : state;
}

/** Runs `work` on every item, `parallel` at a time. */
export async function pool<T>(
  items: T[],
  parallel: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
}

export const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
