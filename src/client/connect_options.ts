/**
 * The options of `connect()`, and their validation into a ready-to-use
 * configuration (defaults applied).
 *
 * @module
 */

import { checkSignal, nonNegativeMs } from "../_validate.ts";
import { Interpreter } from "./parse.ts";
import type { ParserOptions, ServerSentEvent } from "./types.ts";

/**
 * What `connect()` knows before it reconnects, given to
 * {@linkcode ConnectInit.reconnect} and {@linkcode ConnectInit.onRetry}.
 *
 * @example
 * ```ts
 * import type { RetryInfo } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const describe = ({ attempt, delay, error }: RetryInfo) =>
 *   `reconnection ${attempt} in ${delay} ms ${error ? "after an error" : "after a normal end"}`;
 * assert.equal(
 *   describe({ attempt: 1, delay: 3000, error: undefined, lastEventId: "7", lastEvent: undefined }),
 *   "reconnection 1 in 3000 ms after a normal end",
 * );
 * ```
 */
export interface RetryInfo {
  /** 1 for the first reconnection after a stream that opened; counts up while attempts fail. */
  readonly attempt: number;
  /** Milliseconds it waits before sending the request (the server's `retry:`, backed off after failures). */
  readonly delay: number;
  /**
   * Why: `undefined` when the stream ended normally; else the network error,
   * the error of a dropped connection, or an `EventStreamError`
   * for a status that is retried (5xx, 408, 429; its body is cancelled
   * after `onRetry` returns, unless `onRetry` started reading it).
   */
  readonly error: unknown;
  /** The `Last-Event-ID` the next request sends (`""`: none). */
  readonly lastEventId: string;
  /** The last event received since `connect()` was called, if any. */
  readonly lastEvent: ServerSentEvent | undefined;
}

/** Request headers, in any form `new Headers()` takes (without DOM-only type names). */
export type HeadersLike = NonNullable<RequestInit["headers"]>;
/** A request body that can be sent again: anything `fetch` takes but a stream. */
export type BodyLike = Exclude<RequestInit["body"], ReadableStream | undefined>;

/**
 * Options of `connect()`: the request, the reconnection policy and
 * the parser's options. Only fields every runtime accepts are sent to
 * `fetch` (no `credentials`, `mode` or `cache`, which Cloudflare Workers
 * reject); pass a `fetch` of your own to add any.
 *
 * @example
 * ```ts
 * import { sse } from "@edge-sse/core";
 * import { connect, type ConnectInit } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const opened: number[] = [];
 * const init: ConnectInit = {
 *   method: "POST",
 *   headers: () => ({ authorization: `Bearer ${crypto.randomUUID()}` }),
 *   body: JSON.stringify({ topic: "news" }),
 *   retry: 1_000,
 *   maxRetries: 5,
 *   jitter: true,
 *   onOpen: (response) => void opened.push(response.status),
 *   onRetry: ({ attempt, delay, error }) => console.warn(`retry ${attempt} in ${delay} ms`, error),
 *   reconnect: ({ lastEvent }) => lastEvent?.data !== "[DONE]",
 *   // A server in this process, for the example; leave `fetch` out to use the network.
 *   fetch: (request) => Promise.resolve(sse(request, (stream) => stream.send("[DONE]"))),
 * };
 * const data: string[] = [];
 * for await (const event of connect("https://example.com/news", init)) data.push(event.data);
 * assert.deepEqual(data, ["[DONE]"]); // and no reconnection after it
 * assert.deepEqual(opened, [200]);
 * ```
 */
export interface ConnectInit extends Omit<ParserOptions, "onRetry"> {
  /** HTTP method (default `"GET"`). */
  method?: string;
  /** Request headers, or a function called before every attempt (to refresh a token, say). */
  headers?: HeadersLike | (() => HeadersLike | Promise<HeadersLike>);
  /** Request body, sent again on every attempt: anything but a `ReadableStream`. */
  body?: BodyLike;
  /** Aborting it stops everything (the request, the wait, the iteration), without an error. */
  signal?: AbortSignal;
  /** `Last-Event-ID` for the first request; later requests send the last id received. */
  lastEventId?: string;
  /** Milliseconds between reconnections until the server sends `retry:` (default 3 000). */
  retry?: number;
  /** Failed attempts in a row (network errors, 5xx, 408, 429) before giving up (default Infinity). */
  maxRetries?: number;
  /** Cap of the exponential backoff after failed attempts (default 30 000 ms). */
  maxRetryDelay?: number;
  /** Wait a random time between half and all of each delay (default `false`). */
  jitter?: boolean;
  /** The `fetch` to use (default: the global one); a service binding's, say. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Whether to reconnect (default `true`): `false` sends one request and
   * ends with its stream (a failure is thrown at once), as a non-resumable
   * request such as an LLM completion needs; a function decides before each
   * reconnection, from why and what came last. When it says no, the
   * iteration ends after a normal end, or throws the `error`.
   */
  reconnect?: boolean | ((retry: RetryInfo) => boolean);
  /**
   * Called with each response that is an event stream (2xx,
   * `text/event-stream`), before its events are read: check a header, say.
   * Throwing (or rejecting) stops: `connect()` throws that error, the body
   * cancelled. Not-event-stream responses throw an
   * `EventStreamError` (body unread) without calling it.
   */
  onOpen?: (response: Response) => void | Promise<void>;
  /**
   * Called before each wait to reconnect, with the attempt, the delay and
   * the error that caused it (`undefined` after a normal end): every error
   * that does not end the iteration is seen here; the one that does is
   * thrown. The server's `retry:` values show up as `delay`.
   */
  onRetry?: (retry: RetryInfo) => void;
}

/** {@linkcode ConnectInit} checked, with defaults applied. */
export interface Config {
  input: string | URL | Request;
  method: string | undefined;
  headers: ConnectInit["headers"];
  body: BodyLike | undefined;
  signal: AbortSignal | undefined;
  lastEventId: string;
  retry: number;
  maxRetries: number;
  maxRetryDelay: number;
  jitter: boolean;
  fetch: (request: Request) => Promise<Response>;
  reconnect: boolean | ((retry: RetryInfo) => boolean);
  onOpen: ConnectInit["onOpen"];
  onRetry: ConnectInit["onRetry"];
  parser: ParserOptions;
}

/** Checks `connect()`'s arguments (`TypeError`, `RangeError`) and applies the defaults. */
export function resolveConfig(input: string | URL | Request, init: ConnectInit): Config {
  if (typeof input !== "string" && !(input instanceof URL) && !(input instanceof Request)) {
    throw new TypeError(
      `Cannot connect: \`input\` must be a URL string, a URL or a Request, got ${typeof input}`,
    );
  }
  if (init === null || typeof init !== "object") {
    throw new TypeError(`Cannot connect: \`init\` must be an object, got ${typeof init}`);
  }
  const {
    method,
    headers,
    body,
    signal,
    lastEventId = "",
    retry = 3_000,
    maxRetries = Infinity,
    maxRetryDelay = 30_000,
    jitter = false,
    fetch: fetchFn = (request: Request) => fetch(request),
    reconnect = true,
    onOpen,
    onRetry,
    ...parser
  } = init;
  if (method !== undefined && typeof method !== "string") {
    throw new TypeError(`Cannot connect: \`method\` must be a string, got ${typeof method}`);
  }
  if (headers !== undefined && typeof headers !== "function" && typeof headers !== "object") {
    throw new TypeError(
      `Cannot connect: \`headers\` must be headers or a function returning them, got ${typeof headers}`,
    );
  }
  if (body instanceof ReadableStream) {
    throw new TypeError(
      "Cannot connect: `body` cannot be a ReadableStream, as it is sent again on every reconnection; pass a string, a Blob, an ArrayBuffer, FormData or URLSearchParams",
    );
  }
  checkSignal("Cannot connect", "signal", signal);
  if (typeof lastEventId !== "string") {
    throw new TypeError(
      `Cannot connect: \`lastEventId\` must be a string, got ${typeof lastEventId}`,
    );
  }
  nonNegativeMs("Cannot connect", "retry", retry);
  nonNegativeMs("Cannot connect", "maxRetryDelay", maxRetryDelay);
  if (
    typeof maxRetries !== "number" || !(maxRetries >= 0) ||
    (maxRetries !== Infinity && !Number.isInteger(maxRetries))
  ) {
    throw new RangeError(
      `Cannot connect: \`maxRetries\` must be a whole number of attempts (0 or more, or Infinity), got ${
        String(maxRetries)
      }`,
    );
  }
  if (typeof jitter !== "boolean") {
    throw new TypeError(`Cannot connect: \`jitter\` must be a boolean, got ${typeof jitter}`);
  }
  if (typeof fetchFn !== "function") {
    throw new TypeError(`Cannot connect: \`fetch\` must be a function, got ${typeof fetchFn}`);
  }
  if (typeof reconnect !== "boolean" && typeof reconnect !== "function") {
    throw new TypeError(
      `Cannot connect: \`reconnect\` must be a boolean or a function of the retry, got ${typeof reconnect}`,
    );
  }
  for (const [name, hook] of [["onOpen", onOpen], ["onRetry", onRetry]] as const) {
    if (hook !== undefined && typeof hook !== "function") {
      throw new TypeError(`Cannot connect: \`${name}\` must be a function, got ${typeof hook}`);
    }
  }
  new Interpreter(parser); // validates the parser's options now rather than later
  return {
    input,
    method,
    headers,
    body,
    signal,
    lastEventId,
    retry,
    maxRetries,
    maxRetryDelay,
    jitter,
    fetch: fetchFn,
    reconnect,
    onOpen,
    onRetry,
    parser,
  };
}
