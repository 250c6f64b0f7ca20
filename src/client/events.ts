/**
 * `events()`: the events of one `Response`, as an async iterator, and the
 * checks that tell an event stream from anything else.
 *
 * @module
 */

import { checkSignal, describe } from "../_validate.ts";
import { isThenable } from "../_util.ts";
import { Interpreter } from "./parse.ts";
import type { ParserOptions, ServerSentEvent } from "./types.ts";

/**
 * The error for a response that is not an event stream: a status other than
 * 2xx, or a content type other than `text/event-stream`. Its `response`
 * body is left unread, so an API's error message can be read from it
 * (read or cancel it: an unread body holds the connection).
 *
 * @example
 * ```ts
 * import { EventStreamError, events } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const response = Response.json({ error: { message: "bad key" } }, { status: 401 });
 * try {
 *   events(response);
 *   assert.fail("not an event stream");
 * } catch (error) {
 *   assert.ok(error instanceof EventStreamError && error.status === 401);
 *   assert.deepEqual(await error.response.json(), { error: { message: "bad key" } });
 * }
 * ```
 */
export class EventStreamError extends Error {
  /** The response, its body unread: `await error.response.json()` reads an API's error. */
  readonly response: Response;
  /** The response's status, for convenience. */
  readonly status: number;

  /**
   * Creates the error for a response that cannot be read as an event stream.
   *
   * @param message What was wrong.
   * @param response The response that was not an event stream.
   */
  constructor(message: string, response: Response) {
    super(message);
    this.name = "EventStreamError";
    this.response = response;
    this.status = response.status;
  }
}

/**
 * Options of {@linkcode events}: the parser's, and a `signal`.
 *
 * @example
 * ```ts
 * import { sse } from "@edge-sse/core";
 * import { events, type EventsOptions } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const options: EventsOptions = { signal: AbortSignal.timeout(60_000), maxEventSize: 65_536 };
 * const response = sse(new Request("http://localhost/"), (stream) => stream.send("hi"));
 * const data: string[] = [];
 * for await (const event of events(response, options)) data.push(event.data);
 * assert.deepEqual(data, ["hi"]);
 * ```
 */
export interface EventsOptions extends ParserOptions {
  /** Aborting it cancels the body and ends the iteration (quietly: no error is thrown). */
  signal?: AbortSignal;
}

/**
 * Iterates over the events of one `Response`, without reconnecting (see
 * `connect()` for that). A 204 yields nothing. Throws an
 * {@linkcode EventStreamError} at once, its response's body unread, when the
 * status is not 2xx or the content type is not `text/event-stream`.
 *
 * Leaving the loop early (`break`, `return`, an exception) or aborting
 * `signal` cancels the body, which closes the connection to the server. An
 * abort ends the iteration without an error; a network error while reading
 * is thrown.
 *
 * @example
 * ```ts
 * import { events } from "@edge-sse/core/client";
 * import assert from "node:assert/strict";
 *
 * const response = new Response("id: 1\ndata: hello\n\ndata: world\n\n", {
 *   headers: { "content-type": "text/event-stream" },
 * });
 * const received = [];
 * for await (const event of events(response)) received.push(event.data);
 * assert.deepEqual(received, ["hello", "world"]);
 * ```
 */
export function events(
  response: Response,
  options: EventsOptions = {},
): AsyncGenerator<ServerSentEvent, void, undefined> {
  if (!isResponse(response)) {
    throw new TypeError(
      isThenable(response)
        ? "events(): `response` is a Promise; await it: `events(await fetch(url))`"
        : `events(): \`response\` must be a Response, got ${describe(response)}`,
    );
  }
  const { signal, ...parserOptions } = options;
  checkSignal("Cannot read events", "signal", signal);
  const interpreter = new Interpreter(parserOptions);
  checkResponse(response);
  return read(response, interpreter, signal);
}

async function* read(
  response: Response,
  interpreter: Interpreter,
  signal: AbortSignal | undefined,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  try {
    yield* readEvents(response, interpreter, signal);
  } catch (error) {
    throw error instanceof ReadFailure ? error.cause : error;
  }
}

/** Thrown by {@linkcode readEvents} when reading the body failed (a network error). */
export class ReadFailure extends Error {
  constructor(cause: unknown) {
    super("Reading the event stream failed", { cause });
  }
}

/**
 * Yields the events of a checked response's body. Ends quietly when `signal`
 * aborts (cancelling the body at once); throws a {@linkcode ReadFailure} when
 * a read fails, and parser errors as they are.
 */
export async function* readEvents(
  response: Response,
  interpreter: Interpreter,
  signal: AbortSignal | undefined,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const body = response.body;
  if (body === null || response.status === 204 || signal?.aborted) {
    await body?.cancel().catch(() => {});
    return;
  }
  const reader = body.getReader();
  const cancel = () => reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  const queue: ServerSentEvent[] = [];
  const emit = (event: ServerSentEvent) => queue.push(event);
  try {
    while (true) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (error) {
        if (signal?.aborted) return;
        throw new ReadFailure(error);
      }
      if (signal?.aborted) return;
      if (step.done) interpreter.end(emit);
      else interpreter.push(step.value, emit);
      for (let i = 0; i < queue.length; i++) {
        yield queue[i];
        if (signal?.aborted) return;
      }
      queue.length = 0;
      if (step.done) return;
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    cancel();
  }
}

/** Throws an {@linkcode EventStreamError} (the body unread) unless `response` is an event stream. */
export function checkResponse(response: Response): void {
  const from = source(response);
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  let problem: string | undefined;
  if (response.status < 200 || response.status > 299) {
    problem = `expected a 2xx event stream, got ${status}${from}`;
  } else if (response.status !== 204) {
    const type = response.headers.get("content-type");
    const essence = type?.split(";")[0].trim().toLowerCase();
    if (essence !== "text/event-stream") {
      problem = `expected content-type text/event-stream, got ${
        type === null ? "none" : JSON.stringify(type)
      } (${status}${from})`;
    }
  }
  if (problem === undefined) return;
  throw new EventStreamError(`Cannot read events: ${problem}`, response);
}

/** ` from <origin><path>` for error messages (no query string: it may hold a token), or `""`. */
export function source(response: Response): string {
  try {
    const url = new URL(response.url);
    return ` from ${url.origin}${url.pathname}`;
  } catch {
    return "";
  }
}

/** Whether `value` looks like a `Response` (from this realm or another fetch implementation). */
function isResponse(value: unknown): value is Response {
  return typeof value === "object" && value !== null &&
    typeof (value as Response).status === "number" &&
    typeof (value as Response).headers?.get === "function" && "body" in value;
}
