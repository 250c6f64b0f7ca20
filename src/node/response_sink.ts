/**
 * The sink of Node's `ServerResponse` (and of HTTP/2's compatibility
 * `Http2ServerResponse`): the writer's chunks go straight to `res.write()`,
 * without a web stream in between.
 *
 * @module
 */

import type { Sink, SinkOwner } from "../sink.ts";

/**
 * What the sink needs of a response: `ServerResponse` and
 * `Http2ServerResponse` both have it.
 */
export interface NodeResponse {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  /** Set by Express's `compression` (and similar) middleware: sends what the compressor holds. */
  flush?: () => void;
}

/** The sink's one state: writing, ended by the writer, or the peer gone. */
type State = "open" | "ended" | "gone";

/**
 * Writes to `res`: `write()` returns what `res.write()` returns, `'drain'`
 * is the writer's demand, and `'close'` before the writer ended the body
 * means the client went away.
 *
 * When a compression middleware wrapped `res` (it adds `res.flush()`), each
 * chunk is flushed through the compressor at once, so no event waits in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventEmitter } from "node:events";
 * import { ResponseSink } from "./response_sink.ts";
 *
 * const written: string[] = [];
 * const res = Object.assign(new EventEmitter(), {
 *   destroyed: false,
 *   writableEnded: false,
 *   write: (chunk: Uint8Array) => written.push(new TextDecoder().decode(chunk)) < 2,
 *   end: () => {},
 *   destroy: () => {},
 * });
 * let demands = 0;
 * const sink = new ResponseSink(res, { demand: () => demands++, gone: () => {} });
 * assert.equal(sink.write(new TextEncoder().encode(":\n\n")), true);
 * assert.equal(sink.write(new TextEncoder().encode("data: 1\n\n")), false);
 * res.emit("drain");
 * assert.equal(demands, 1);
 * assert.deepEqual(written, [":\n\n", "data: 1\n\n"]);
 * ```
 */
export class ResponseSink implements Sink {
  #res: NodeResponse;
  #owner: SinkOwner;
  #state: State = "open";
  #flush: (() => void) | null;

  /** Listens to `res` for `'drain'` (demand) and `'close'` (gone). */
  constructor(res: NodeResponse, owner: SinkOwner) {
    this.#res = res;
    this.#owner = owner;
    // Only a middleware's own flush: Node's ServerResponse has none.
    this.#flush = Object.hasOwn(res, "flush") && typeof res.flush === "function"
      ? res.flush.bind(res)
      : null;
    res.on("drain", this.#onDrain);
    res.on("close", this.#onClose);
  }

  write(chunk: Uint8Array): boolean {
    const res = this.#res;
    if (this.#state !== "open" || res.destroyed || res.writableEnded) {
      throw new Error("Cannot write: the response is closed");
    }
    const more = res.write(chunk);
    if (this.#flush !== null) this.#flush();
    return more;
  }

  close(): void {
    if (this.#state !== "open") return;
    this.#state = "ended";
    this.#release();
    try {
      this.#res.end();
    } catch {
      // Destroyed meanwhile: nothing left to end.
    }
  }

  abort(reason: unknown): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    this.#release();
    // Without the reason: an error would be emitted on the socket, which
    // nobody listens to; the client only needs the connection dropped.
    void reason;
    try {
      this.#res.destroy();
    } catch {
      // Already destroyed.
    }
  }

  #onDrain = (): void => {
    if (this.#state === "open") this.#owner.demand();
  };

  #onClose = (): void => {
    if (this.#state !== "open") return;
    this.#state = "gone";
    this.#release();
    this.#owner.gone(new Error("the client closed the connection"));
  };

  #release(): void {
    this.#res.off("drain", this.#onDrain);
    this.#res.off("close", this.#onClose);
  }
}
