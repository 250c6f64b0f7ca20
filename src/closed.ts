/**
 * Why a stream ended, and the error that carries it on `signal.reason`.
 *
 * @module
 */

/**
 * Why a stream ended.
 *
 * - `"client"`: the client went away (request aborted, body cancelled, a
 *   write failed).
 * - `"closed"`: `stream.close()` was called.
 * - `"returned"`: the handler settled or the iterable ended (with
 *   `close.onReturn`, the default).
 * - `"max-duration"`: `close.maxDuration` elapsed.
 * - `"idle"`: no event was sent for `close.idleTimeout` (heartbeats excluded).
 * - `"slow-consumer"`: more than `maxBuffered` bytes were queued.
 * - `"error"`: the handler threw or rejected.
 * - `"shutdown"`: the `shutdown` signal aborted.
 */
export type CloseReason =
  | "client"
  | "closed"
  | "returned"
  | "max-duration"
  | "idle"
  | "slow-consumer"
  | "error"
  | "shutdown";

const DESCRIPTIONS: Record<CloseReason, string> = {
  client: "the client went away",
  closed: "close() was called",
  returned: "the handler returned",
  "max-duration": "the maximum duration elapsed",
  idle: "no event was sent within the idle timeout",
  "slow-consumer": "the client read too slowly and the buffer limit was hit",
  error: "the handler failed",
  shutdown: "the server is shutting down",
};

/**
 * The `reason` of an ended stream's `signal`: an `Error` naming the
 * {@linkcode CloseReason}, with the underlying error (if any) as `cause`.
 *
 * @example
 * ```ts
 * import { sse, StreamClosed } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * let reason: unknown;
 * const response = sse(new Request("http://localhost/"), (stream) => {
 *   stream.signal.addEventListener("abort", () => reason = stream.signal.reason);
 * });
 * await response.text(); // the handler returned: the stream ended
 * assert.ok(reason instanceof StreamClosed);
 * assert.equal(reason.reason, "returned");
 * ```
 */
export class StreamClosed extends Error {
  /** Why the stream ended. */
  readonly reason: CloseReason;

  /**
   * Creates the error for a stream that ended for `reason`.
   *
   * @param reason Why the stream ended.
   * @param options `cause`: the error behind it, if any.
   */
  constructor(reason: CloseReason, options?: { cause?: unknown }) {
    super(`Stream closed: ${DESCRIPTIONS[reason] ?? reason}`, options);
    this.name = "StreamClosed";
    this.reason = reason;
  }
}
