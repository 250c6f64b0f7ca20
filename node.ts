/**
 * Server-Sent Events on Node's own servers: `node:http`, Express, Fastify,
 * Koa and `node:http2`'s compatibility API. `sse(req, res, source, options)`
 * takes the `IncomingMessage` and `ServerResponse` the framework hands you
 * and streams into the response directly (no web stream in between); the
 * stream, its options, close reasons, heartbeats and backpressure are those
 * of the web `sse()`, and a `Channel` from the main entry works with it.
 *
 * Deno and Bun run `node:http` too, and this entry works there (its tests
 * run on both); on them, prefer the web `sse()` on `Deno.serve` or
 * `Bun.serve`, their own servers (see the README's Node section).
 *
 * @example Express
 * ```ts ignore
 * import express from "express";
 * import { sse } from "@edge-sse/core/node";
 *
 * const app = express();
 * app.get("/events", (req, res) =>
 *   sse(req, res, async (stream) => {
 *     let n = 0;
 *     while (await stream.send({ event: "tick", id: ++n, data: { n } })) {
 *       await stream.sleep(1000);
 *     }
 *   }));
 * app.listen(8000);
 * ```
 *
 * @module
 */

export { type NodeIncoming, type NodeOutgoing, sse } from "./src/node/sse.ts";
export type { Source } from "./src/sse.ts";
export type { SSEStream } from "./src/stream.ts";
export type { CloseOptions, HeartbeatOptions, SSEOptions } from "./src/options.ts";
export { type CloseReason, StreamClosed } from "./src/closed.ts";
export type { SSEEvent } from "./src/format.ts";
