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
 *
 * const app = new Hono();
 * app.get(
 *   "/ticks/:name",
 *   sseHandler(async (stream, c) => {
 *     let n = 0;
 *     while (await stream.send({ event: c.req.param("name"), id: ++n, data: n })) {
 *       await stream.sleep(1000);
 *     }
 *   }),
 * );
 * export default app; // Deno, Bun, Cloudflare Workers
 * ```
 *
 * @module
 */

export { type BlankInput, type HonoSource, sseHandler, streamEvents } from "./src/hono.ts";
