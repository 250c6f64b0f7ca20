/**
 * The client side of edge-sse: read Server-Sent Events with `fetch`, on
 * Deno, Bun, Node 18+, Cloudflare Workers and in browsers.
 *
 * - {@linkcode EventStreamParser}: a `TransformStream` from the bytes of a
 *   `text/event-stream` body to events, exactly as the WHATWG standard
 *   interprets them.
 * - {@linkcode events}: the events of one `Response`, as an async iterator.
 * - {@linkcode connect}: a reconnecting client, as an async iterator, that
 *   resumes with `Last-Event-ID`, honours `retry:`, backs off on errors and
 *   stops at once when its `signal` aborts: pass a stream's `signal` when
 *   relaying, and the upstream request ends with the downstream client.
 *   `reconnect: false` sends a request once (an LLM completion);
 *   `onOpen` and `onRetry` see each response and each reconnection, and an
 *   {@linkcode EventStreamError} keeps the error response's body readable.
 *
 * @example Relay an upstream stream
 * ```ts ignore
 * import { sse } from "@edge-sse/core";
 * import { connect } from "@edge-sse/core/client";
 *
 * Deno.serve((request) =>
 *   sse(request, async (stream) => {
 *     for await (const event of connect("https://upstream.example/feed", { signal: stream.signal })) {
 *       await stream.send({ event: event.type, id: event.lastEventId, data: event.data });
 *     }
 *   })
 * );
 * ```
 *
 * @module
 */

export {
  type BodyLike,
  connect,
  type ConnectInit,
  type HeadersLike,
  type RetryInfo,
} from "./src/client/connect.ts";
export { events, type EventsOptions, EventStreamError } from "./src/client/events.ts";
export {
  EventStreamParser,
  type ParserOptions,
  type ServerSentEvent,
} from "./src/client/parse_stream.ts";
