/**
 * The client side's types: what the parser dispatches and how it is set up.
 * Imports flow one way: types → parse → parse_stream → events → connect.
 *
 * @module
 */

/**
 * One event as an `EventSource` dispatches it.
 *
 * @example
 * ```ts
 * import { EventStreamParser, type ServerSentEvent } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const body = new Response("id: 7\ndata: hello\n\ndata: again\n\n").body!;
 * const seen: ServerSentEvent[] = [];
 * for await (const event of body.pipeThrough(new EventStreamParser())) seen.push(event);
 * assert.deepEqual(seen, [
 *   { type: "message", data: "hello", lastEventId: "7" },
 *   { type: "message", data: "again", lastEventId: "7" }, // the last id carries over
 * ]);
 * ```
 */
export interface ServerSentEvent {
  /** The `event:` field, or `"message"` when the event has none (or an empty one). */
  readonly type: string;
  /** The `data:` lines joined with LF (`"\n"`). */
  readonly data: string;
  /** The stream's last event id when this event was dispatched (`""` if none was set). */
  readonly lastEventId: string;
}

/**
 * Options of {@linkcode EventStreamParser}, `events()` and `connect()`.
 *
 * @example
 * ```ts
 * import { EventStreamParser, type ParserOptions } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const retries: number[] = [];
 * const options: ParserOptions = {
 *   maxEventSize: 1024 * 1024,
 *   onRetry: (ms) => void retries.push(ms), // the server's delay between reconnections
 * };
 * const body = new Response("retry: 5000\n\ndata: hi\n\n").body!;
 * for await (const event of body.pipeThrough(new EventStreamParser(options))) {
 *   assert.equal(event.data, "hi");
 * }
 * assert.deepEqual(retries, [5000]);
 * ```
 */
export interface ParserOptions {
  /**
   * The most characters one event may hold in memory: its data, its type and
   * the line being read. Past it the parser fails with a `RangeError`.
   * Default 16 MiB (16 777 216); `Infinity` for no limit.
   */
  maxEventSize?: number;
  /**
   * Dispatch an event left unterminated (no blank line after it) when the
   * stream ends, for upstreams that do not end their last event. The
   * standard, and the default (`false`), discards it.
   */
  flushUnterminated?: boolean;
  /** Called with each valid `retry:` value (milliseconds), as soon as its line is read. */
  onRetry?: (ms: number) => void;
}
