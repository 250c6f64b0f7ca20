/**
 * What the stream needs from Node's `IncomingMessage` (or HTTP/2's
 * `Http2ServerRequest`): the last event id, and a web `Request` view of it,
 * built only when the handler reads `stream.request`.
 *
 * @module
 */

import { lastEventIdFrom } from "../format.ts";
import type { RequestSource } from "../writer.ts";

/** What is read of a request: `IncomingMessage` and `Http2ServerRequest` both have it. */
export interface NodeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly httpVersionMajor?: number;
}

const FORBIDDEN = /^(connect|trace|track)$/i;

/**
 * The `Last-Event-ID` header of `req`, else its `lastEventId` query
 * parameter; `null` when absent or too long (as the web `sse()`:
 * `lastEventIdFrom` in src/format.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastEventIdOf } from "./request.ts";
 *
 * assert.equal(lastEventIdOf({ headers: { "last-event-id": "41" } }), "41");
 * assert.equal(lastEventIdOf({ url: "/events?lastEventId=7", headers: {} }), "7");
 * assert.equal(lastEventIdOf({ url: "/events", headers: {} }), null);
 * ```
 */
export function lastEventIdOf(req: NodeRequest): string | null {
  return lastEventIdFrom(first(req.headers["last-event-id"]) ?? null, req.url);
}

/**
 * A web `Request` with the method, URL and headers of `req` (no body: an
 * event stream answers a GET), aborting with `signal`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRequest } from "./request.ts";
 *
 * const request = toRequest(
 *   { method: "GET", url: "/events?room=a", headers: { host: "example.com", "x-user": "ann" } },
 *   new AbortController().signal,
 * );
 * assert.equal(request.url, "http://example.com/events?room=a");
 * assert.equal(request.headers.get("x-user"), "ann");
 * ```
 */
export function toRequest(req: NodeRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers (`:authority`, `:path`) are not headers.
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) { for (const item of value) headers.append(name, item); }
    else headers.set(name, value);
  }
  const host = first(req.headers[":authority"]) ?? first(req.headers.host) ?? "localhost";
  const scheme = first(req.headers[":scheme"]) ?? "http";
  const url = new URL(req.url ?? "/", `${scheme}://${host}`);
  const method = req.method ?? "GET";
  // A Request cannot carry CONNECT, TRACE or TRACK; none of them streams events.
  return new Request(url, { method: FORBIDDEN.test(method) ? "GET" : method, headers, signal });
}

/**
 * The stream's view of `req`: its last event id read from it directly, and
 * a web `Request` built only when the handler reads `stream.request`.
 */
export class NodeRequestSource implements RequestSource {
  constructor(readonly req: NodeRequest) {}

  toRequest(signal: AbortSignal): Request {
    return toRequest(this.req, signal);
  }

  get lastEventId(): string | null {
    return lastEventIdOf(this.req);
  }
}

/** Whether `req` came over HTTP/2 (no connection headers allowed there). */
export function isHttp2(req: NodeRequest): boolean {
  return req.httpVersionMajor === 2;
}

/** The first value of a header that may repeat. */
export function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
