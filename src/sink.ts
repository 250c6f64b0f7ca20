/**
 * Where a stream's bytes go: the one contract between the writer (queue,
 * coalescing, byte limits, the close path) and an output (a web
 * `ReadableStream`, Node's `ServerResponse`, a compressing decorator).
 *
 * A sink is created with a {@linkcode SinkOwner} (the writer) that it calls
 * back when the consumer wants bytes and when the peer is gone.
 *
 * @module
 */

/** An output the writer hands its coalesced chunks to. */
export interface Sink {
  /**
   * Hands one chunk to the runtime. Returns `true` if the sink can take more
   * at once, `false` if the writer must wait until the sink calls
   * {@linkcode SinkOwner.demand} again. Throws if the peer is gone.
   */
  write(chunk: Uint8Array): boolean;
  /** Ends the body after everything written (a server-initiated close). Never throws. */
  close(): void;
  /**
   * Ends the body abruptly (client gone, slow consumer): the runtime drops
   * the connection instead of delivering what it still holds. Never throws.
   */
  abort(reason: unknown): void;
}

/** What a sink calls back: the writer. */
export interface SinkOwner {
  /** The consumer wants bytes (web `pull()`, Node `'drain'`, and once at the start on Node). */
  demand(): void;
  /** The peer went away before the end (web `cancel()`, Node `'close'` before `'finish'`). */
  gone(cause: unknown): void;
}

/**
 * The sink of a web `Response`: a `ReadableStream` with a high-water mark
 * of 0, so that `pull()` means a reader is waiting, and each write fills
 * that read. The sink object is the stream's underlying source itself (the
 * stream calls `start`, `pull` and `cancel` on it), so a stream costs no
 * closures; it keeps the stream's controller, not the stream
 * ({@linkcode WebSink.body} makes it, once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WebSink } from "./sink.ts";
 *
 * let demands = 0;
 * const sink = new WebSink({ demand: () => demands++, gone: () => {} });
 * const reader = sink.body().getReader();
 * const read = reader.read();
 * await Promise.resolve();
 * assert.equal(demands, 1);
 * assert.equal(sink.write(new TextEncoder().encode(":\n\n")), false);
 * sink.close();
 * assert.equal(new TextDecoder().decode((await read).value), ":\n\n");
 * assert.equal((await reader.read()).done, true);
 * ```
 */
export class WebSink implements Sink {
  #owner: SinkOwner;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;

  /** Creates the sink; `owner` hears of demand and of a cancelled body. */
  constructor(owner: SinkOwner) {
    this.#owner = owner;
  }

  /**
   * The body to answer with, reading from this sink. Made once, by whoever
   * puts it in the `Response` (the sink keeps its controller, not the
   * stream: one field less per open stream). Throws if called again.
   */
  body(): ReadableStream<Uint8Array> {
    if (this.#controller !== undefined) {
      throw new TypeError("Cannot make the body: this sink already has one");
    }
    return new ReadableStream<Uint8Array>(this, { highWaterMark: 0 });
  }

  /** Underlying source: keeps the controller. */
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  /** Underlying source: a reader waits. */
  pull(): void {
    this.#owner.demand();
  }

  /** Underlying source: the body was cancelled (the client went away). */
  cancel(reason: unknown): void {
    this.#owner.gone(reason);
  }

  write(chunk: Uint8Array): boolean {
    const controller = this.#controller!;
    controller.enqueue(chunk);
    return (controller.desiredSize ?? 0) > 0;
  }

  close(): void {
    try {
      this.#controller?.close();
    } catch {
      // Already cancelled or errored: nothing left to close.
    }
  }

  abort(reason: unknown): void {
    try {
      this.#controller?.error(reason);
    } catch {
      // Already closed or errored.
    }
  }
}
