/**
 * `EventStreamParser`: a `TransformStream` from the bytes (or text) of a
 * `text/event-stream` body to the events an `EventSource` would dispatch.
 *
 * @module
 */

import { Interpreter } from "./parse.ts";
import type { ParserOptions, ServerSentEvent } from "./types.ts";

export type { ParserOptions, ServerSentEvent };

/**
 * Parses a `text/event-stream` body into {@linkcode ServerSentEvent}s,
 * following the WHATWG "interpreting an event stream" algorithm exactly:
 *
 * - bytes are decoded as UTF-8 and one leading byte order mark is stripped
 *   (string chunks are taken as already decoded: the decoder that made them
 *   stripped it);
 * - lines end with CRLF, LF or CR, wherever the chunks are split;
 * - `field: value` loses one space after the colon; a line without a colon
 *   is a field with an empty value; lines starting with `:` are comments;
 *   unknown fields are ignored;
 * - `data` lines are joined with LF; a blank line dispatches the event, and
 *   commits its `id` even when it has no data (then nothing is dispatched);
 * - an `id` containing NUL is ignored, an empty one resets the last event id;
 * - `retry` is accepted only when it is all ASCII digits;
 * - an event not ended by a blank line when the stream ends is discarded,
 *   unless `flushUnterminated` is set.
 *
 * The stream errors with a `RangeError` when one event holds more than
 * `maxEventSize` characters (default 16 MiB), so that a hostile upstream
 * cannot exhaust memory with a line that never ends.
 *
 * @example Parse a fetched body
 * ```ts
 * import { EventStreamParser, type ServerSentEvent } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * // In real use: const response = await fetch("https://example.com/events");
 * const response = new Response("event: greeting\r\nid: 1\r\ndata: hello\r\n\r\n");
 * const seen: ServerSentEvent[] = [];
 * for await (const event of response.body!.pipeThrough(new EventStreamParser())) seen.push(event);
 * assert.deepEqual(seen, [{ type: "greeting", data: "hello", lastEventId: "1" }]);
 * ```
 *
 * @example Chunks may split lines anywhere
 * ```ts
 * import { EventStreamParser, type ServerSentEvent } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const parser = new EventStreamParser();
 * const writer = parser.writable.getWriter();
 * writer.write("event: greeting\r");
 * writer.write("\ndata: hel");
 * writer.write("lo\n\n");
 * writer.close();
 * const reader = parser.readable.getReader();
 * const { value } = await reader.read();
 * assert.deepEqual(value, { type: "greeting", data: "hello", lastEventId: "" });
 * ```
 */
export class EventStreamParser extends TransformStream<Uint8Array | string, ServerSentEvent> {
  #interpreter: Interpreter;

  /**
   * Creates a parser.
   *
   * @param options `maxEventSize`, `flushUnterminated` and `onRetry`; throws
   * a `RangeError` or `TypeError` for invalid ones.
   */
  constructor(options?: ParserOptions) {
    const interpreter = new Interpreter(options);
    super({
      transform(chunk, controller) {
        interpreter.push(chunk, (event) => controller.enqueue(event));
      },
      flush(controller) {
        interpreter.end((event) => controller.enqueue(event));
      },
    });
    this.#interpreter = interpreter;
  }

  /**
   * The last event id committed so far (at the last blank line), as an
   * `EventSource` would send it in `Last-Event-ID` when reconnecting.
   */
  get lastEventId(): string {
    return this.#interpreter.lastEventId;
  }

  /** The last valid `retry:` value read (milliseconds), or `undefined`. */
  get retry(): number | undefined {
    return this.#interpreter.retry;
  }
}
