/**
 * `sse()`: a request and a source in, a streaming `Response` out, with every
 * way the stream can end wired to the writer's one close path.
 *
 * @module
 */

import { formatEvent, type SSEEvent } from "./format.ts";
import { type Config, resolveOptions, type SSEOptions } from "./options.ts";
import { forceConnectionClose, watchRequestSignal } from "./runtime.ts";
import { type SSEStream, Writer } from "./writer.ts";
import { startTimers } from "./deadlines.ts";

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
 *   }, { close: { onReturn: true } })
 * );
 * ```
 *
 * @example An async generator
 * ```ts
 * import { sse } from "@edge-sse/core";
 *
 * async function* countdown() {
 *   for (let n = 3; n > 0; n--) yield { id: n, data: n };
 * }
 * const response = sse(new Request("http://localhost/"), countdown());
 * console.log(await response.text()); // ":\n\nid: 3\ndata: 3\n\n..."
 * ```
 */
export function sse(
  request: Request,
  source: Source,
  options?: SSEOptions,
): Response {
  if (!(request instanceof Request)) {
    throw new TypeError("sse(): `request` must be a Request");
  }
  const config = resolveOptions(options);
  if (typeof source !== "function" && !isAsyncIterable(source)) {
    throw new TypeError(
      "sse(): `source` must be a function or an async iterable",
    );
  }
  const writer = new Writer(request, {
    open: config.open,
    highWaterMark: config.highWaterMark,
    maxBuffered: config.maxBuffered,
    dropWhenFull: config.dropWhenFull,
    final: config.final,
    trackEvents: config.idleTimeout > 0,
  });
  if (config.connectionClose) forceConnectionClose(request, config.headers);
  const response = new Response(writer.readable, {
    status: config.status,
    headers: config.headers,
  });
  liftIdleTimeout(request, config);
  watchEnds(request, writer, config);
  startTimers(writer, config);
  if (writer.open) run(writer, source, config);
  return response;
}

function liftIdleTimeout(request: Request, config: Config): void {
  try {
    config.server?.timeout(request, 0);
  } catch {
    // A server without per-request timeouts: nothing to lift.
  }
}

function watchEnds(request: Request, writer: Writer, config: Config): void {
  if (watchRequestSignal) watchSignal(writer, request.signal, "client");
  if (config.shutdown) watchSignal(writer, config.shutdown, "shutdown");
}

function watchSignal(
  writer: Writer,
  signal: AbortSignal,
  reason: "client" | "shutdown",
): void {
  if (signal.aborted) return writer.end(reason, signal.reason);
  const onAbort = () => writer.end(reason, signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  writer.onEnd(() => signal.removeEventListener("abort", onAbort));
}

function run(writer: Writer, source: Source, config: Config): void {
  // The closures below live as long as the stream: they keep two fields, not
  // the whole config (its Headers alone are ~650 bytes per stream on Deno).
  const { onReturn, onError } = config;
  const settled = () => {
    if (onReturn) writer.end("returned");
  };
  const failed = (error: unknown) => fail(writer, error, onError);
  if (typeof source !== "function") {
    iterate(writer, source).then(settled, failed);
    return;
  }
  let result: unknown;
  try {
    result = source(writer);
  } catch (error) {
    return failed(error);
  }
  if (isAsyncIterable(result) && !isThenable(result)) {
    iterate(writer, result).then(settled, failed);
  } else if (isThenable(result)) {
    Promise.resolve(result).then(settled, failed);
  } else {
    settled();
  }
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

function fail(writer: Writer, error: unknown, onError: Config["onError"]): void {
  // A handler that fails because the stream already ended (an aborted fetch
  // on stream.signal, say) is not an error of the stream.
  if (!writer.open) return;
  let final: string | null = null;
  if (onError) {
    try {
      const event = onError(error, writer);
      if (event !== undefined) final = formatFinal(event);
    } catch (onErrorFailure) {
      console.error("edge-sse: onError threw", onErrorFailure);
    }
  } else {
    console.error("edge-sse: the stream handler failed", error);
  }
  writer.end("error", error, final);
}

function formatFinal(event: SSEEvent): string | null {
  try {
    return formatEvent(event);
  } catch (invalid) {
    console.error("edge-sse: onError returned an invalid event", invalid);
    return null;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<SSEEvent | string> {
  return typeof value === "object" && value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
