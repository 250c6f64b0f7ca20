/**
 * The options of `connect()`, and their validation into a ready-to-use
 * configuration (defaults applied).
 *
 * @module
 */

import { checkSignal, nonNegativeMs } from "../_validate.ts";
import { Interpreter } from "./parse.ts";
import type { ParserOptions } from "./types.ts";

/**
 * Options of `connect()`: the request, the reconnection policy and
 * the parser's options. Only fields every runtime accepts are sent to
 * `fetch` (no `credentials`, `mode` or `cache`, which Cloudflare Workers
 * reject); pass a `fetch` of your own to add any.
 *
 * @example
 * ```ts
 * import type { ConnectInit } from "@edge-sse/core/client";
 *
 * const init: ConnectInit = {
 *   method: "POST",
 *   headers: () => ({ authorization: `Bearer ${crypto.randomUUID()}` }),
 *   body: JSON.stringify({ topic: "news" }),
 *   retry: 1_000,
 *   maxRetries: 5,
 *   jitter: true,
 * };
 * console.log(init);
 * ```
 */
export interface ConnectInit extends ParserOptions {
  /** HTTP method (default `"GET"`). */
  method?: string;
  /** Request headers, or a function called before every attempt (to refresh a token, say). */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** Request body, sent again on every attempt: anything but a `ReadableStream`. */
  body?: BodyInit | null;
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
}

/** {@linkcode ConnectInit} checked, with defaults applied. */
export interface Config {
  input: string | URL | Request;
  method: string | undefined;
  headers: ConnectInit["headers"];
  body: BodyInit | null | undefined;
  signal: AbortSignal | undefined;
  lastEventId: string;
  retry: number;
  maxRetries: number;
  maxRetryDelay: number;
  jitter: boolean;
  fetch: (request: Request) => Promise<Response>;
  parser: ParserOptions;
}

/** Checks `connect()`'s arguments (`TypeError`, `RangeError`) and applies the defaults. */
export function resolveConfig(input: string | URL | Request, init: ConnectInit): Config {
  if (typeof input !== "string" && !(input instanceof URL) && !(input instanceof Request)) {
    throw new TypeError(
      `connect(): \`input\` must be a URL string, a URL or a Request, got ${typeof input}`,
    );
  }
  if (init === null || typeof init !== "object") {
    throw new TypeError(`connect(): \`init\` must be an object, got ${typeof init}`);
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
    ...parser
  } = init;
  if (method !== undefined && typeof method !== "string") {
    throw new TypeError(`connect(): \`method\` must be a string, got ${typeof method}`);
  }
  if (headers !== undefined && typeof headers !== "function" && typeof headers !== "object") {
    throw new TypeError(
      `connect(): \`headers\` must be headers or a function returning them, got ${typeof headers}`,
    );
  }
  if (body instanceof ReadableStream) {
    throw new TypeError(
      "connect(): `body` cannot be a ReadableStream, as it is sent again on every reconnection; pass a string, a Blob, an ArrayBuffer, FormData or URLSearchParams",
    );
  }
  checkSignal("connect()", "signal", signal);
  if (typeof lastEventId !== "string") {
    throw new TypeError(`connect(): \`lastEventId\` must be a string, got ${typeof lastEventId}`);
  }
  nonNegativeMs("connect()", "retry", retry);
  nonNegativeMs("connect()", "maxRetryDelay", maxRetryDelay);
  if (
    typeof maxRetries !== "number" || !(maxRetries >= 0) ||
    (maxRetries !== Infinity && !Number.isInteger(maxRetries))
  ) {
    throw new RangeError(
      `connect(): \`maxRetries\` must be a whole number of attempts (0 or more, or Infinity), got ${
        String(maxRetries)
      }`,
    );
  }
  if (typeof jitter !== "boolean") {
    throw new TypeError(`connect(): \`jitter\` must be a boolean, got ${typeof jitter}`);
  }
  if (typeof fetchFn !== "function") {
    throw new TypeError(`connect(): \`fetch\` must be a function, got ${typeof fetchFn}`);
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
    parser,
  };
}
