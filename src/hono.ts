/**
 * The Hono adapter: {@linkcode sse} as a Hono handler, with the request's
 * {@linkcode Context} handed to the source and Bun's idle timeout lifted
 * without any code in the route.
 *
 * @module
 */

import type { Context, Env, Handler, Input } from "hono";
import type { SSEEvent } from "./format.ts";
import type { SSEOptions } from "./options.ts";
import { describe } from "./_validate.ts";
import { sse } from "./sse.ts";
import type { SSEStream } from "./stream.ts";
import { isAsyncIterable } from "./_util.ts";

/**
 * Hono's input type of a route without validators (the default of
 * {@linkcode HonoSource}'s `I`).
 */
// deno-lint-ignore ban-types
export type BlankInput = {};

/**
 * What a Hono route streams: a handler that writes through the
 * {@linkcode SSEStream} and reads params, variables and `env` from Hono's
 * `Context`, or an async iterable of events.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { type HonoSource, sseHandler } from "@edge-sse/core/hono";
 * import assert from "node:assert/strict";
 *
 * const countdown: HonoSource = async (stream, c) => {
 *   for (let n = Number(c.req.query("from") ?? 3); n > 0; n--) {
 *     await stream.send({ event: "count", data: n });
 *   }
 * };
 * const app = new Hono().get("/countdown", sseHandler(countdown));
 * const response = await app.request("/countdown?from=2");
 * assert.equal(await response.text(), ":\n\nevent: count\ndata: 2\n\nevent: count\ndata: 1\n\n");
 * ```
 */
export type HonoSource<
  E extends Env = Env,
  P extends string = string,
  I extends Input = BlankInput,
> =
  | ((stream: SSEStream, c: Context<E, P, I>) => unknown)
  | AsyncIterable<SSEEvent | string>;

/**
 * Answers the request of `c` with a Server-Sent Events stream fed by
 * `source`, from inside any Hono handler (after auth checks, say).
 *
 * Headers set earlier with `c.header()` are kept; edge-sse's own headers and
 * `options.headers` win over them. On Bun, the server Hono receives as
 * `c.env` is passed as `options.server`, so Bun's idle timeout does not cut a
 * quiet stream. Throws like {@linkcode sse} on invalid options.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { streamEvents } from "@edge-sse/core/hono";
 * import assert from "node:assert/strict";
 *
 * const app = new Hono();
 * app.get("/rooms/:room/events", (c) => {
 *   if (!c.req.header("authorization")) return c.text("sign in first", 401);
 *   return streamEvents(c, async (stream) => {
 *     await stream.send({ event: "joined", data: c.req.param("room") });
 *   });
 * });
 * assert.equal((await app.request("/rooms/lobby/events")).status, 401);
 * const response = await app.request("/rooms/lobby/events", {
 *   headers: { authorization: "Bearer token" },
 * });
 * assert.equal(await response.text(), ":\n\nevent: joined\ndata: lobby\n\n");
 * ```
 */
export function streamEvents<E extends Env, P extends string, I extends Input>(
  c: Context<E, P, I>,
  source: HonoSource<E, P, I>,
  options?: SSEOptions,
): Response {
  checkContext(c);
  const server = options?.server ?? bunServer(c.env);
  const response = sse(
    c.req.raw,
    typeof source === "function" ? (stream: SSEStream) => source(stream, c) : source,
    server === undefined ? options : { ...options, server },
  );
  return c.newResponse(response.body, response);
}

/**
 * A Hono handler that answers every request with a Server-Sent Events
 * stream fed by `source`; the source receives the stream and Hono's
 * `Context`. See {@linkcode streamEvents} for headers and Bun.
 *
 * TypeScript cannot infer the route's types through a handler factory, so
 * give your app's `Env` and the path as type arguments to type `c.env`,
 * `c.get()` and `c.req.param()` (or call {@linkcode streamEvents} inside an
 * inline handler, which has them). For a fresh async generator per request,
 * pass an `async function*` as the source.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { sseHandler } from "@edge-sse/core/hono";
 * import assert from "node:assert/strict";
 *
 * type AppEnv = { Bindings: { UPDATES: string } };
 * const app = new Hono<AppEnv>();
 * app.get(
 *   "/users/:id/feed",
 *   sseHandler<AppEnv, "/users/:id/feed">(async (stream, c) => {
 *     const user = c.req.param("id"); // typed by the path
 *     for (let n = 1; n <= Number(c.env.UPDATES); n++) {
 *       await stream.send({ event: "update", id: n, data: { user, n } });
 *     }
 *   }, { heartbeat: 15_000 }),
 * );
 * const response = await app.request("/users/ada/feed", {}, { UPDATES: "1" });
 * assert.equal(
 *   await response.text(),
 *   ':\n\nevent: update\nid: 1\ndata: {"user":"ada","n":1}\n\n',
 * );
 * ```
 */
export function sseHandler<
  E extends Env = Env,
  P extends string = string,
  I extends Input = BlankInput,
>(
  source: HonoSource<E, P, I>,
  options?: SSEOptions,
): Handler<E, P, I, Response> {
  if (typeof source !== "function" && !isAsyncIterable(source)) {
    throw new TypeError(
      "Cannot create the handler: `source` must be a function or an async iterable",
    );
  }
  return (c) => streamEvents(c, source, options);
}

/**
 * Bun's server, if Hono got it as `env` (`export default app`, or
 * `Bun.serve({ fetch: app.fetch })`) or as `env.server`. Duck-typed: an
 * object with `timeout`, `upgrade` and `publish` methods.
 */
function bunServer(env: unknown): SSEOptions["server"] | undefined {
  if (isBunServer(env)) return env;
  if (typeof env === "object" && env !== null && "server" in env && isBunServer(env.server)) {
    return env.server;
  }
  return undefined;
}

function isBunServer(value: unknown): value is NonNullable<SSEOptions["server"]> {
  if (typeof value !== "object" || value === null) return false;
  const server = value as Record<string, unknown>;
  return typeof server.timeout === "function" && typeof server.upgrade === "function" &&
    typeof server.publish === "function";
}

/** Throws a `TypeError` unless `c` is Hono's `Context` (a `Request` or `c.req` is a common slip). */
function checkContext(c: unknown): void {
  const context = c as Partial<Context> | null;
  if (
    typeof context === "object" && context !== null && typeof context.newResponse === "function" &&
    context.req?.raw instanceof Request
  ) return;
  const got = c instanceof Request
    ? "a Request: pass `c` itself, not `c.req.raw`"
    : (c as { raw?: unknown } | null)?.raw instanceof Request
    ? "Hono's `c.req`: pass `c` itself"
    : describe(c);
  throw new TypeError(
    `Cannot start the stream: streamEvents() takes Hono's Context (the handler's \`c\`), got ${got}`,
  );
}
