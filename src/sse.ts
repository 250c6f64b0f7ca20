/**
 * `sse()`: a request and a source in, a streaming `Response` out, with every
 * way the stream can end wired to the writer's one close path.
 *
 * @module
 */

import { isAsyncIterable, isThenable } from "./_util.ts";
import { describe } from "./_validate.ts";
import { startTimers } from "./deadlines.ts";
import { formatEvent, type SSEEvent } from "./format.ts";
import { resolveOptions, type SSEOptions, type StreamConfig, writerOptions } from "./options.ts";
import { clientSignal, forceConnectionClose } from "./runtime.ts";
import { bodyInit, bodySink, compressedSink } from "./compress.ts";
import { scheduler } from "./scheduler.ts";
import { trackShutdown } from "./shutdown.ts";
import { type SinkOwner, WebSink } from "./sink.ts";
import type { SSEStream } from "./stream.ts";
import { Writer } from "./writer.ts";

/**
 * What {@linkcode sse} streams: a handler that writes through the
 * {@linkcode SSEStream} (sync or async; it may also return an async iterable,
 * whose values are sent), or an async iterable of events.
 */
export type Source =
  | ((stream: SSEStream) => unknown)
  | AsyncIterable<SSEEvent | string>;

/**
 * Answers `request` with a Server-Sent Events stream fed by `source`.
 *
 * The response is returned at once; the handler runs alongside it. The
 * stream ends when the handler settles (with `close.onReturn`, the default),
 * when `close()` is called, when the client goes away, or at a limit set in
 * `options`. `stream.signal` aborts exactly once, whatever the cause.
 *
 * Throws a `TypeError` or `RangeError` for invalid options.
 *
 * @example A clock on Deno
 * ```ts ignore
 * import { sse } from "@edge-sse/core";
 *
 * Deno.serve((request) =>
 *   sse(request, async (stream) => {
 *     while (await stream.send({ event: "time", data: new Date().toISOString() })) {
 *       await stream.sleep(1000);
 *     }
 *   })
 * );
 * ```
 *
 * @example A handler that returns: the stream ends after its events
 * ```ts
 * import { sse } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const response = sse(new Request("http://localhost/"), async (stream) => {
 *   await stream.send({ event: "greeting", data: "hello" });
 *   await stream.send({ data: { n: 1 } });
 * });
 * assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
 * assert.equal(await response.text(), ':\n\nevent: greeting\ndata: hello\n\ndata: {"n":1}\n\n');
 * ```
 *
 * @example An async generator
 * ```ts
 * import { sse } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * async function* countdown() {
 *   for (let n = 3; n > 0; n--) yield { id: n, data: n };
 * }
 * const response = sse(new Request("http://localhost/"), countdown());
 * assert.equal(
 *   await response.text(),
 *   ":\n\nid: 3\ndata: 3\n\nid: 2\ndata: 2\n\nid: 1\ndata: 1\n\n",
 * );
 * ```
 */
export function sse(
  request: Request,
  source: Source,
  options?: SSEOptions,
): Response {
  if (!(request instanceof Request)) throw notARequest(request);
  const config = resolveOptions(options);
  if (typeof source !== "function" && !isAsyncIterable(source)) {
    throw new TypeError(
      "Cannot start the stream: `source` must be a function or an async iterable",
    );
  }
  const writer = new Writer(
    request,
    writerOptions(config),
    config.compress ? compressedSink(request, config.headers, openWebSink) : openWebSink,
  );
  if (config.connectionClose) forceConnectionClose(request, config.headers);
  const response = new Response(bodySink(writer.sink).body(), {
    status: config.status,
    headers: config.headers,
    ...bodyInit(writer.sink),
  });
  liftIdleTimeout(request, config);
  watchEnds(request, writer, config);
  startTimers(writer, config);
  if (writer.open) run(writer, source, config);
  return response;
}

function openWebSink(owner: SinkOwner): WebSink {
  return new WebSink(owner);
}

function liftIdleTimeout(request: Request, config: StreamConfig): void {
  try {
    config.server?.timeout(request, 0);
  } catch {
    // A server without per-request timeouts: nothing to lift.
  }
}

function watchEnds(request: Request, writer: Writer, config: StreamConfig): void {
  const client = clientSignal(request);
  if (client !== null) watchSignal(writer, client, "client");
  if (config.shutdown) watchSignal(writer, config.shutdown, "shutdown");
}

/** Ends `writer` with `reason` when `signal` aborts (at once if it has). */
export function watchSignal(
  writer: Writer,
  signal: AbortSignal,
  reason: "client" | "shutdown",
): void {
  if (reason === "shutdown") trackShutdown(signal, writer);
  if (signal.aborted) return writer.end(reason, { cause: signal.reason });
  const watch = new SignalWatch(writer, signal, reason);
  signal.addEventListener("abort", watch, { once: true });
  writer.onEnd(watch);
}

/**
 * Ends a stream when a signal aborts: the listener object (`handleEvent`)
 * and its own removal (`cancel()`, run when the stream ends), one object
 * per watched signal instead of two closures.
 */
class SignalWatch {
  constructor(
    readonly writer: Writer,
    readonly signal: AbortSignal,
    readonly reason: "client" | "shutdown",
  ) {}

  handleEvent(): void {
    this.writer.end(this.reason, { cause: this.signal.reason });
  }

  cancel(): void {
    this.signal.removeEventListener("abort", this);
  }
}

/** Runs `source` on `writer`: its settling, values and errors end the stream as the options say. */
export function run(writer: Writer, source: Source, config: StreamConfig): void {
  const { onReturn, onError } = config;
  if (typeof source !== "function") {
    settle(writer, iterate(writer, source), onReturn, onError);
    return;
  }
  let result: unknown;
  try {
    result = source(writer);
  } catch (error) {
    return fail(writer, error, onError);
  }
  if (isAsyncIterable<SSEEvent | string>(result) && !isThenable(result)) {
    settle(writer, iterate(writer, result), onReturn, onError);
  } else if (isThenable(result)) {
    // The stream's own `closed` (`(s) => s.closed`, `channel.subscribe(s)`)
    // settles when the stream has ended and never rejects: nothing to await.
    if (!writer.isClosedPromise(result)) settle(writer, result, onReturn, onError);
  } else if (onReturn) {
    writer.end("returned");
  }
}

/**
 * Ends the stream when the handler's promise settles (never rejects: a
 * failure ends the stream). With `onReturn`, a shared function first turns a
 * rejection into a {@linkcode HandlerFailed}, so that one closure per stream
 * hears both outcomes: on Bun two closures on the promise cost 48 B more per
 * stream than the two reactions (bench/README.md), and an async function
 * awaiting it holds its frame as well.
 */
function settle(
  writer: Writer,
  result: PromiseLike<unknown>,
  onReturn: boolean,
  onError: StreamConfig["onError"],
): void {
  if (!onReturn) {
    Promise.resolve(result).then(undefined, (error: unknown) => fail(writer, error, onError));
    return;
  }
  Promise.resolve(result).then(undefined, handlerFailed).then((outcome) =>
    outcome instanceof HandlerFailed ? fail(writer, outcome.error, onError) : writer.end("returned")
  );
}

/** A handler's rejection, as a value (no handler can resolve with one: the class is ours). */
class HandlerFailed {
  constructor(readonly error: unknown) {}
}

function handlerFailed(error: unknown): HandlerFailed {
  return new HandlerFailed(error);
}

async function iterate(
  writer: Writer,
  iterable: AsyncIterable<SSEEvent | string>,
): Promise<void> {
  const iterator = iterable[Symbol.asyncIterator]();
  let finished = false;
  const stop = () => {
    if (finished) return;
    finished = true;
    try {
      Promise.resolve(iterator.return?.()).catch(() => {});
    } catch {
      // A throwing return() has nothing left for us to stop.
    }
  };
  writer.onEnd(stop);
  try {
    while (writer.open) {
      const step = await iterator.next();
      if (step.done) {
        finished = true;
        return;
      }
      if (!await writer.send(step.value)) return;
    }
  } catch (error) {
    finished = true;
    throw error;
  } finally {
    stop();
  }
}

/**
 * How long an async `onError` may take: past it the stream closes without
 * its event (a client should not wait on an error report).
 */
export const ON_ERROR_TIMEOUT = 1_000;

function fail(writer: Writer, error: unknown, onError: StreamConfig["onError"]): void {
  // A handler that fails because the stream already ended (an aborted fetch
  // on stream.signal, say) is not an error of the stream.
  if (!writer.open) return;
  if (!onError) {
    console.error("edge-sse: the stream handler failed", error);
    return writer.end("error", { cause: error });
  }
  let result: ReturnType<typeof onError>;
  try {
    result = onError(error, writer);
  } catch (onErrorFailure) {
    console.error("edge-sse: onError threw", onErrorFailure);
    return writer.end("error", { cause: error });
  }
  if (!isThenable(result)) {
    return writer.end("error", { cause: error, final: formatFinal(result) });
  }
  let done = false;
  const finish = (event: SSEEvent | void) => {
    if (done) return;
    done = true;
    timeout.cancel();
    writer.end("error", { cause: error, final: formatFinal(event) });
  };
  const timeout = scheduler.schedule(ON_ERROR_TIMEOUT, () => {
    console.error(`edge-sse: onError did not settle within ${ON_ERROR_TIMEOUT} ms`);
    finish();
  });
  writer.onEnd(timeout);
  Promise.resolve(result).then(finish, (onErrorFailure) => {
    console.error("edge-sse: onError rejected", onErrorFailure);
    finish();
  });
}

function formatFinal(event: SSEEvent | void): string | undefined {
  if (event === undefined) return undefined;
  try {
    return formatEvent(event);
  } catch (invalid) {
    console.error("edge-sse: onError returned an invalid event", invalid);
    return undefined;
  }
}

/** The error for a `request` that is not a `Request`, pointing Hono users to `c.req.raw`. */
function notARequest(request: unknown): TypeError {
  const raw = (request as { raw?: unknown } | null)?.raw;
  return new TypeError(
    raw instanceof Request
      ? "Cannot start the stream: `request` must be a Request, got Hono's `c.req`: pass `c.req.raw`, or use streamEvents(c, ...) from edge-sse/hono"
      : `Cannot start the stream: \`request\` must be a Request, got ${describe(request)}`,
  );
}
