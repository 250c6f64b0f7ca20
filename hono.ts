/**
 * Server-Sent Events in Hono routes: `sseHandler()` makes a route handler,
 * `streamEvents()` answers from inside any handler. The source gets the
 * stream and Hono's typed `Context` (params, variables, `env`); on Bun the
 * server's idle timeout is lifted for the stream automatically.
 *
 * Works behind `compress()` (it skips `text/event-stream`), `cors()` and
 * `logger()`; a `timeout()` middleware only bounds the time until the
 * response starts, so limit a stream with `close.maxDuration` instead.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { sseHandler } from "@edge-sse/core/hono";
 * import assert from "node:assert/strict";
 *
 * const app = new Hono();
 * app.get(
 *   "/ticks/:name",
 *   sseHandler(async (stream, c) => {
 *     for (let n = 1; n <= 2; n++) {
 *       await stream.send({ event: c.req.param("name"), id: n, data: n });
 *       await stream.sleep(10);
 *     }
 *   }),
 * );
 * // export default app; (Deno, Bun, Cloudflare Workers), or here in-process:
 * const response = await app.request("/ticks/clock");
 * assert.equal(
 *   await response.text(),
 *   ":\n\nevent: clock\nid: 1\ndata: 1\n\nevent: clock\nid: 2\ndata: 2\n\n",
 * );
 * ```
 *
 * @module
 */

export { type BlankInput, type HonoSource, sseHandler, streamEvents } from "./src/hono.ts";
