/**
 * `sse()` for Node's `node:http` (and HTTP/2's compatibility API, Express,
 * Fastify, Koa): the same stream, options and close path as the web
 * `sse()`, writing straight into the `ServerResponse`.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { isAsyncIterable } from "../_util.ts";
import { startTimers } from "../deadlines.ts";
import { resolveOptions, type SSEOptions, writerOptions } from "../options.ts";
import { run, type Source, watchSignal } from "../sse.ts";
import { CompressingSink, negotiateEncoding, setEncodingHeaders } from "../compress.ts";
import type { Sink, SinkOwner } from "../sink.ts";
import { Writer } from "../writer.ts";
import { first, isHttp2, type NodeRequest, NodeRequestSource } from "./request.ts";
import { type NodeResponse, ResponseSink } from "./response_sink.ts";

/** A request of `node:http` or of `node:http2`'s compatibility API. */
export type NodeIncoming = IncomingMessage | Http2ServerRequest;
/** A response of `node:http` or of `node:http2`'s compatibility API. */
export type NodeOutgoing = ServerResponse | Http2ServerResponse;

/** Headers a HTTP/2 response must not carry (RFC 9113 §8.2.2). */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

/**
 * Answers `req` on `res` with a Server-Sent Events stream fed by `source`.
 *
 * Writes the status and headers at once (headers already set on `res`, by a
 * middleware say, are kept; edge-sse's own and `options.headers` win), then
 * runs the handler alongside the stream. The stream, its options and its
 * close reasons are those of the web `sse()`: `stream.signal` aborts exactly
 * once, with reason `"client"` when the connection closes first. Each chunk
 * goes to `res.write()`; when it returns `false`, `send()` waits for
 * `'drain'` past `highWaterMark` queued bytes.
 *
 * Throws a `TypeError` or `RangeError` for invalid options or a response
 * whose headers were already sent, before writing anything.
 *
 * @example node:http
 * ```ts
 * import { createServer } from "node:http";
 * import type { AddressInfo } from "node:net";
 * import assert from "node:assert/strict";
 * import { sse } from "@edge-sse/core/node";
 *
 * const server = createServer((req, res) =>
 *   sse(req, res, (stream) => stream.send({ event: "hello", data: req.url }))
 * );
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as AddressInfo;
 * const response = await fetch(`http://127.0.0.1:${port}/greet`);
 * assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
 * assert.equal(await response.text(), ":\n\nevent: hello\ndata: /greet\n\n");
 * await new Promise((resolve) => server.close(resolve));
 * ```
 *
 * @example Express
 * ```ts ignore
 * import express from "express";
 * import { sse } from "@edge-sse/core/node";
 *
 * const app = express();
 * app.get("/events", (req, res) =>
 *   sse(req, res, async (stream) => {
 *     while (await stream.send({ event: "time", data: new Date().toISOString() })) {
 *       await stream.sleep(1000);
 *     }
 *   }));
 * app.listen(8000);
 * ```
 *
 * @example node:http, with a channel
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServer } from "node:http";
 * import { Channel } from "@edge-sse/core";
 * import { sse } from "@edge-sse/core/node";
 *
 * const news = new Channel();
 * const server = createServer((req, res) => sse(req, res, (stream) => news.subscribe(stream)));
 * await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
 * const { port } = server.address() as { port: number };
 * const response = await fetch(`http://127.0.0.1:${port}/`);
 * assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
 * const reader = response.body!.getReader();
 * await reader.read(); // the opening comment
 * news.publish({ data: "hello" });
 * assert.match(new TextDecoder().decode((await reader.read()).value), /data: hello/);
 * await reader.cancel();
 * server.closeAllConnections();
 * server.close();
 * ```
 */
export function sse(
  req: NodeIncoming,
  res: NodeOutgoing,
  source: Source,
  options?: SSEOptions,
): void {
  if (req === null || typeof req !== "object" || typeof req.headers !== "object") {
    throw new TypeError("Cannot start the stream: `req` must be an IncomingMessage");
  }
  if (res === null || typeof res !== "object" || typeof res.write !== "function") {
    throw new TypeError("Cannot start the stream: `res` must be a ServerResponse");
  }
  if (res.headersSent) {
    throw new TypeError(
      "Cannot start the stream: the response's headers were already sent; call sse() before writing to `res`",
    );
  }
  const config = resolveOptions(options);
  if (typeof source !== "function" && !isAsyncIterable(source)) {
    throw new TypeError(
      "Cannot start the stream: `source` must be a function or an async iterable",
    );
  }
  const request = req as NodeRequest;
  let openSink = (owner: SinkOwner): Sink => new ResponseSink(res as NodeResponse, owner);
  if (config.compress && !config.headers.has("content-encoding")) {
    const encoding = negotiateEncoding(first(request.headers["accept-encoding"]) ?? null);
    setEncodingHeaders(config.headers, encoding);
    if (encoding !== null) {
      const open = openSink;
      openSink = (owner) => new CompressingSink(owner, encoding, open);
    }
  }
  writeHead(res, config.status, config.headers, isHttp2(request));
  const writer: Writer = new Writer(
    new NodeRequestSource(request),
    writerOptions(config),
    openSink,
  );
  if (config.shutdown) watchSignal(writer, config.shutdown, "shutdown");
  startTimers(writer, config);
  // The socket is writable: the writer may hand over its first bytes now.
  writer.demand();
  if (writer.open) run(writer, source, config);
}

/** Sets the stream's headers on `res` (keeping those set before) and writes the head. */
function writeHead(res: NodeOutgoing, status: number, headers: Headers, http2: boolean): void {
  for (const [name, value] of headers) {
    if (http2 && CONNECTION_HEADERS.has(name)) continue;
    if (name === "set-cookie") res.setHeader(name, headers.getSetCookie());
    else res.setHeader(name, value);
  }
  // deno-lint-ignore no-explicit-any
  (res as any).writeHead(status);
}
