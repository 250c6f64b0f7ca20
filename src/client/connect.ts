/**
 * `connect()`: a reconnecting Server-Sent Events client as an async
 * iterator, on `fetch` alone (no `EventSource`, `document` or `window`), so
 * it runs on servers and edge runtimes as well as in browsers.
 *
 * @module
 */

import { type Config, type ConnectInit, resolveConfig, type RetryInfo } from "./connect_options.ts";
import { checkResponse, EventStreamError, readEvents, ReadFailure, source } from "./events.ts";
import { Interpreter } from "./parse.ts";
import type { ServerSentEvent } from "./types.ts";
import { MAX_TIMER_DELAY } from "../_util.ts";

export type { BodyLike, ConnectInit, HeadersLike, RetryInfo } from "./connect_options.ts";

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
 *   stops at once and closes the connection;
 * - `reconnect: false` (or a function returning `false`) stops instead of
 *   reconnecting: a request that must not be sent twice (an LLM completion)
 *   uses it; `onOpen(response)` sees each stream open and `onRetry(info)`
 *   each reconnection, with its error.
 *
 * Throws a `TypeError` or `RangeError` for invalid arguments, when called.
 *
 * @example Resume from where the stream left off
 * ```ts
 * import { sse } from "@edge-sse/core";
 * import { connect } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * // A server in this process (leave `fetch` out to use the network): two
 * // events per connection, then the stream ends; it resumes after Last-Event-ID.
 * const server = (request: Request) => {
 *   const last = Number(request.headers.get("last-event-id") ?? 0);
 *   return Promise.resolve(sse(request, async (stream) => {
 *     await stream.send({ id: last + 1, data: JSON.stringify({ n: last + 1 }) });
 *     await stream.send({ id: last + 2, data: JSON.stringify({ n: last + 2 }) });
 *   }, { retry: 10 }));
 * };
 * const seen: number[] = [];
 * for await (const event of connect("https://example.com/feed", { fetch: server })) {
 *   seen.push(JSON.parse(event.data).n);
 *   if (seen.length === 5) break; // leaving the loop closes the connection
 * }
 * assert.deepEqual(seen, [1, 2, 3, 4, 5]);
 * ```
 *
 * @example An LLM completion: one POST, never sent again, the API's errors read
 * ```ts ignore
 * import { connect, EventStreamError } from "@edge-sse/core/client";
 *
 * let answer = "";
 * try {
 *   for await (const event of connect("https://api.openai.com/v1/chat/completions", {
 *     method: "POST",
 *     headers: { authorization: `Bearer ${Deno.env.get("OPENAI_API_KEY")}` },
 *     body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [] }),
 *     reconnect: false,
 *   })) {
 *     if (event.data === "[DONE]") break;
 *     answer += JSON.parse(event.data).choices[0].delta.content ?? "";
 *   }
 * } catch (error) {
 *   if (!(error instanceof EventStreamError)) throw error;
 *   throw new Error(`HTTP ${error.status}: ${await error.response.text()}`); // the API's own message
 * }
 * ```
 *
 * @example Relay an upstream stream, stopping it when the client leaves
 * ```ts
 * import { sse } from "@edge-sse/core";
 * import { connect } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * // The upstream, in this process for the example (leave `fetch` out to use the network).
 * const upstream = (request: Request) =>
 *   Promise.resolve(sse(request, (stream) => stream.send({ event: "news", data: "hello" })));
 * const handler = (request: Request) =>
 *   sse(request, async (stream) => {
 *     const feed = connect("https://upstream.example/feed", {
 *       signal: stream.signal, // the client leaves: the upstream request is closed too
 *       fetch: upstream,
 *       reconnect: false,
 *     });
 *     for await (const event of feed) {
 *       await stream.send({ event: event.type, data: event.data.toUpperCase() });
 *     }
 *   });
 * const response = handler(new Request("http://localhost/"));
 * assert.equal(await response.text(), ":\n\nevent: news\ndata: HELLO\n\n");
 * ```
 */
export function connect(
  input: string | URL | Request,
  init: ConnectInit = {},
): AsyncGenerator<ServerSentEvent, void, undefined> {
  return run(resolveConfig(input, init));
}

/** How one attempt ended, when it does not end the iteration. */
type Outcome =
  | { readonly kind: "stop" } // aborted, or 204
  | { readonly kind: "ended"; readonly error: undefined } // the stream ended normally
  | { readonly kind: "dropped"; readonly error: unknown } // the connection broke while reading
  | { readonly kind: "failed"; readonly error: unknown; readonly wait: number }; // retryable

/** The state `connect()` carries across attempts. */
interface Session {
  readonly config: Config;
  readonly signal: AbortSignal;
  readonly interpreter: Interpreter;
  retry: number;
  lastEvent: ServerSentEvent | undefined;
}

async function* run(config: Config): AsyncGenerator<ServerSentEvent, void, undefined> {
  if (config.signal?.aborted) return;
  const controller = new AbortController();
  const outer = config.signal;
  const abort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", abort, { once: true });
  const session: Session = {
    config,
    signal: controller.signal,
    interpreter: new Interpreter({
      ...config.parser,
      onRetry: (ms) => {
        session.retry = ms;
      },
    }),
    retry: config.retry,
    lastEvent: undefined,
  };
  session.interpreter.lastEventId = config.lastEventId;
  let failures = 0; // failed attempts in a row, for maxRetries and the backoff
  let attempt = 0; // reconnections since a stream last opened
  let thrownResponse = false;
  try {
    while (!session.signal.aborted) {
      const outcome = yield* once(session);
      if (outcome.kind === "stop" || session.signal.aborted) return;
      if (outcome.kind === "failed") {
        if (++failures > config.maxRetries) throw gaveUp(outcome.error, failures);
      } else {
        failures = 0;
        attempt = 0;
      }
      const delay = Math.max(
        backoff(session.retry, failures, config),
        outcome.kind === "failed" ? outcome.wait : 0,
      );
      const info: RetryInfo = {
        attempt: ++attempt,
        delay,
        error: outcome.error,
        lastEventId: session.interpreter.lastEventId,
        lastEvent: session.lastEvent,
      };
      const { reconnect } = config;
      if (reconnect === false || (typeof reconnect === "function" && !reconnect(info))) {
        if (outcome.kind === "ended") return;
        throw outcome.error;
      }
      config.onRetry?.(info);
      if (outcome.error instanceof EventStreamError) {
        // After onRetry, which may have started reading it (then this fails quietly).
        outcome.error.response.body?.cancel().catch(() => {});
      }
      await sleep(delay, session.signal);
    }
  } catch (error) {
    // Aborting would error the response's body, which the caller may read.
    if (error instanceof EventStreamError) thrownResponse = true;
    throw error;
  } finally {
    outer?.removeEventListener("abort", abort);
    if (!thrownResponse) controller.abort();
  }
}

/** One request: yields its events, returns how it ended; throws what ends the iteration. */
async function* once(session: Session): AsyncGenerator<ServerSentEvent, Outcome, undefined> {
  const { config, signal, interpreter } = session;
  const request = await buildRequest(config, interpreter.lastEventId, signal);
  let response: Response;
  try {
    response = await config.fetch(request);
  } catch (error) {
    if (signal.aborted) return STOP;
    return { kind: "failed", error, wait: 0 };
  }
  if (signal.aborted || response.status === 204) {
    await response.body?.cancel().catch(() => {});
    return STOP;
  }
  if (isRetryable(response.status)) {
    const status = `HTTP ${response.status}${source(response)}`;
    const error = new EventStreamError(`Cannot connect: got ${status}`, response);
    return { kind: "failed", error, wait: retryAfter(response) };
  }
  checkResponse(response);
  if (config.onOpen) {
    try {
      await config.onOpen(response);
    } catch (error) {
      await response.body?.cancel().catch(() => {});
      throw error;
    }
    if (signal.aborted) {
      await response.body?.cancel().catch(() => {});
      return STOP;
    }
  }
  interpreter.reset();
  try {
    for await (const event of readEvents(response, interpreter, signal)) {
      session.lastEvent = event;
      yield event;
    }
  } catch (error) {
    // A dropped connection is resumed like a clean end; anything else stops.
    if (!(error instanceof ReadFailure)) throw error;
    return { kind: "dropped", error: error.cause };
  }
  return ENDED;
}

const STOP: Outcome = { kind: "stop" };
const ENDED: Outcome = { kind: "ended", error: undefined };

/** The error thrown once `maxRetries` failures in a row are reached: a status says so. */
function gaveUp(error: unknown, attempts: number): unknown {
  if (!(error instanceof EventStreamError)) return error;
  const { response } = error;
  return new EventStreamError(
    `Cannot connect: gave up after ${attempts} attempts; the last got HTTP ${response.status}${
      source(response)
    }`,
    response,
  );
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
  return Math.min(delay, MAX_TIMER_DELAY);
}

function isRetryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** A `Retry-After` in seconds, as milliseconds (0 when absent or a date). */
function retryAfter(response: Response): number {
  const value = response.headers.get("retry-after")?.trim();
  return value && /^[0-9]+$/.test(value) ? Math.min(Number(value) * 1000, MAX_TIMER_DELAY) : 0;
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
