/**
 * `SSEStream`: what a handler writes through. The writer (writer.ts)
 * implements it; channels and adapters take any object of this shape.
 *
 * @module
 */

import type { CloseReason } from "./closed.ts";
import type { SSEEvent } from "./format.ts";

/**
 * The handle a handler writes through. Every method is safe to call after the
 * stream ended: writes then resolve `false`.
 *
 * @example
 * ```ts
 * import { sse, type SSEStream } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const streams: SSEStream[] = [];
 * const response = sse(new Request("http://localhost/"), async (stream) => {
 *   streams.push(stream);
 *   let n = 0;
 *   while (await stream.send({ event: "tick", id: ++n, data: { n } })) {
 *     await stream.sleep(10); // wakes early, with false, when the stream ends
 *   }
 * });
 * const body = response.body!.pipeThrough(new TextDecoderStream()).getReader();
 * let text = "";
 * while (!text.includes("id: 2\n")) text += (await body.read()).value;
 * await body.cancel(); // the client goes away: send() and sleep() return false
 * assert.equal(await streams[0].closed, "client");
 * assert.equal(streams[0].signal.aborted, true);
 * ```
 */
export interface SSEStream {
  /** The request this stream answers. */
  readonly request: Request;
  /** Aborts exactly once when the stream ends, for any reason; `reason` is a {@linkcode StreamClosed}. */
  readonly signal: AbortSignal;
  /** The `Last-Event-ID` header, else the `lastEventId` query parameter; `null` when absent or over 1 024 characters. */
  readonly lastEventId: string | null;
  /** Settles once, with the reason, when the stream has ended; never rejects. */
  readonly closed: Promise<CloseReason>;
  /** Events dropped because the buffer was full (with `onSlowConsumer: "drop"`). */
  readonly dropped: number;
  /**
   * Bytes queued and not yet handed to the runtime (as
   * `WebSocket.bufferedAmount`); `highWaterMark` and `maxBuffered` bound it.
   */
  readonly bufferedAmount: number;
  /**
   * Queues an event. Resolves `true` once fewer than `highWaterMark` bytes are
   * queued, `false` once the stream has ended. Rejects (and writes nothing)
   * only on an invalid event.
   */
  send(event: SSEEvent | string): Promise<boolean>;
  /** Queues a comment line (`: text`); resolves like {@linkcode SSEStream.send}. */
  comment(text?: string): Promise<boolean>;
  /** Waits `ms` milliseconds; wakes early with `false` when the stream ends. */
  sleep(ms: number): Promise<boolean>;
  /** Ends the stream after the queued events (and `final`, else `close.final`). Idempotent. */
  close(final?: SSEEvent): Promise<void>;
}
