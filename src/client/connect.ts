/**
 * `connect()`: a reconnecting Server-Sent Events client as an async
 * iterator, on `fetch` alone (no `EventSource`, `document` or `window`), so
 * it runs on servers and edge runtimes as well as in browsers.
 *
 * @module
 */

import { type Config, type ConnectInit, resolveConfig } from "./connect_options.ts";
import { checkResponse, EventStreamError, readEvents, ReadFailure, source } from "./events.ts";
import { Interpreter } from "./parse.ts";
import type { ServerSentEvent } from "./types.ts";

export type { ConnectInit } from "./connect_options.ts";

/**
 * Connects to a Server-Sent Events endpoint and yields its events, across
 * reconnections, the way an `EventSource` would:
 *
 * - after the stream ends, or the connection drops, it reconnects after the
 *   server's `retry:` delay (else `init.retry`), sending `Last-Event-ID`;
 * - network errors and 5xx (also 408 and 429) are retried with exponential
 *   backoff from that delay, capped at `maxRetryDelay`, at most `maxRetries`
 *   times in a row; then the last error is thrown (an
 *   {@linkcode EventStreamError} for a status);
 * - 204 ends the iteration; any other status, or a content type other than
 *   `text/event-stream`, throws an {@linkcode EventStreamError} at once;
 * - aborting `signal` (even before the first request) or leaving the loop
 *   stops at once and closes the connection.
 *
 * Throws a `TypeError` or `RangeError` for invalid arguments, when called.
 *
 * @example Resume from where the stream left off
 * ```ts ignore
 * import { connect } from "@edge-sse/core/client";
 *
 * const controller = new AbortController();
 * for await (const event of connect("https://example.com/feed", { signal: controller.signal })) {
 *   console.log(event.lastEventId, event.type, JSON.parse(event.data));
 * }
 * ```
 *
 * @example Relay an upstream stream, stopping it when the client leaves
 * ```ts ignore
 * import { sse } from "@edge-sse/core";
 * import { connect } from "@edge-sse/core/client";
 *
 * Deno.serve((request) =>
 *   sse(request, async (stream) => {
 *     for await (const event of connect("https://upstream.example/feed", { signal: stream.signal })) {
 *       await stream.send({ event: event.type, data: event.data.toUpperCase() });
 *     }
 *   })
 * );
 * ```
 */
export function connect(
  input: string | URL | Request,
  init: ConnectInit = {},
): AsyncGenerator<ServerSentEvent, void, undefined> {
  return run(resolveConfig(input, init));
}

async function* run(config: Config): AsyncGenerator<ServerSentEvent, void, undefined> {
  if (config.signal?.aborted) return;
  const controller = new AbortController();
  const outer = config.signal;
  const abort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", abort, { once: true });
  const signal = controller.signal;
  let retry = config.retry;
  let failures = 0;
  const interpreter = new Interpreter({
    ...config.parser,
    onRetry: (ms) => {
      retry = ms;
      config.parser.onRetry?.(ms);
    },
  });
  interpreter.lastEventId = config.lastEventId;
  try {
    while (!signal.aborted) {
      const request = await buildRequest(config, interpreter.lastEventId, signal);
      let response: Response;
      try {
        response = await config.fetch(request);
      } catch (error) {
        if (signal.aborted) return;
        if (++failures > config.maxRetries) throw error;
        await sleep(backoff(retry, failures, config), signal);
        continue;
      }
      if (signal.aborted || response.status === 204) {
        await response.body?.cancel().catch(() => {});
        return;
      }
      if (isRetryable(response.status)) {
        await response.body?.cancel().catch(() => {});
        if (++failures > config.maxRetries) {
          throw new EventStreamError(
            `connect(): gave up after ${failures} attempts; the last got HTTP ${response.status}${
              source(response)
            }`,
            response,
          );
        }
        const delay = Math.max(backoff(retry, failures, config), retryAfter(response));
        await sleep(delay, signal);
        continue;
      }
      checkResponse(response);
      failures = 0;
      interpreter.reset();
      try {
        yield* readEvents(response, interpreter, signal);
      } catch (error) {
        // A dropped connection is resumed like a clean end; anything else stops.
        if (!(error instanceof ReadFailure)) throw error;
      }
      await sleep(backoff(retry, 0, config), signal);
    }
  } finally {
    outer?.removeEventListener("abort", abort);
    controller.abort();
  }
}

async function buildRequest(
  config: Config,
  lastEventId: string,
  signal: AbortSignal,
): Promise<Request> {
  const base = config.input instanceof Request ? config.input.clone() : config.input;
  const headers = new Headers(config.input instanceof Request ? config.input.headers : undefined);
  const extra = typeof config.headers === "function" ? await config.headers() : config.headers;
  new Headers(extra).forEach((value, name) => headers.set(name, value));
  if (!headers.has("accept")) headers.set("accept", "text/event-stream");
  if (lastEventId !== "") headers.set("last-event-id", lastEventId);
  else headers.delete("last-event-id");
  const init: RequestInit = { headers, signal };
  if (config.method !== undefined) init.method = config.method;
  if (config.body !== undefined) init.body = config.body;
  return new Request(base, init);
}

/** The wait before attempt `failures + 1`: `retry`, doubled per failure up to the cap. */
function backoff(retry: number, failures: number, config: Config): number {
  let delay = retry;
  if (failures > 1) {
    const grown = retry * 2 ** Math.min(failures - 1, 30);
    delay = Math.max(retry, Math.min(grown, config.maxRetryDelay));
  }
  if (config.jitter) delay = delay / 2 + Math.random() * (delay / 2);
  return Math.min(delay, MAX_TIMEOUT);
}

function isRetryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** A `Retry-After` in seconds, as milliseconds (0 when absent or a date). */
function retryAfter(response: Response): number {
  const value = response.headers.get("retry-after")?.trim();
  return value && /^[0-9]+$/.test(value) ? Math.min(Number(value) * 1000, MAX_TIMEOUT) : 0;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The longest delay `setTimeout` accepts. */
const MAX_TIMEOUT = 2 ** 31 - 1;
