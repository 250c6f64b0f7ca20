// The README's Node recipes on real servers: Express (with and without the
// `compression` middleware), Fastify (`reply.hijack()`) and Koa
// (`ctx.respond = false`), under whichever runtime runs the suite.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import compression from "compression";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import Koa from "koa";
import type { SSEStream } from "../../mod.ts";
import { sse } from "../../node.ts";
import { BodyReader, readUntil } from "../_read.ts";
import { runtime, within } from "../_server.ts";

/** Sends three events, each only once the test has read the one before: a buffering middleware makes the test time out. */
function stepped(): { handler: (stream: SSEStream) => Promise<void>; next: () => void } {
  const waiting: (() => void)[] = [];
  return {
    async handler(stream) {
      for (let n = 1; n <= 3; n++) {
        await stream.send({ id: n, event: "step", data: { n } });
        if (n < 3) await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
    next: () => waiting.shift()?.(),
  };
}

/** Reads the three steps one by one, letting the handler go on after each. */
async function readSteps(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await within(fetch(url, init), 3000, `headers of ${url}`);
  assert.equal(response.status, 200);
  const body = new BodyReader(response);
  for (let n = 1; n <= 3; n++) {
    // A buffering middleware would hold the step back until the timeout.
    await body.until(`data: {"n":${n}}`, 3000);
    steps.next();
  }
  await body.cancel();
  assert.match(body.text, /^:\n\nevent: step\nid: 1\ndata: \{"n":1\}\n\nevent: step\nid: 2\n/);
  return response;
}

let steps = stepped();

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    })
  );
}

function close(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe(`Express with edge-sse/node (${runtime})`, () => {
  let server: Server;
  let base: string;
  before(async () => {
    const app = express();
    app.get("/events", (req, res) => sse(req, res, (stream) => steps.handler(stream)));
    const zipped = express();
    zipped.use(compression());
    zipped.get("/events", (req, res) => sse(req, res, (stream) => steps.handler(stream)));
    // Without `no-transform`, compression gzips the stream: edge-sse flushes it per chunk.
    zipped.get(
      "/gzipped",
      (req, res) =>
        sse(req, res, (stream) => steps.handler(stream), {
          headers: { "cache-control": "no-cache" },
        }),
    );
    app.use("/zipped", zipped);
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => close(server));

  test("app.get(path, (req, res) => sse(req, res, handler)) streams each event at once", async () => {
    steps = stepped();
    await readSteps(`${base}/events`);
  });

  test("compression() leaves the stream alone: edge-sse sends Cache-Control: no-transform", async () => {
    steps = stepped();
    const response = await readSteps(`${base}/zipped/events`, {
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(response.headers.get("content-encoding"), null);
  });

  test("compression() without no-transform gzips, and each chunk is flushed at once", async () => {
    steps = stepped();
    const response = await readSteps(`${base}/zipped/gzipped`, {
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(response.headers.get("content-encoding"), "gzip");
  });
});

describe(`Fastify with edge-sse/node (${runtime})`, () => {
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    app = Fastify();
    // As @fastify/cors does: a header set on Fastify's reply, not on the raw response.
    app.addHook("onRequest", (_request, reply, done) => {
      reply.header("access-control-allow-origin", "*");
      done();
    });
    app.get("/events", (request, reply) => {
      reply.hijack();
      sse(request.raw, reply.raw, (stream) => steps.handler(stream), {
        headers: reply.getHeaders() as Record<string, string>,
      });
    });
    base = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  after(async () => {
    app.server.closeAllConnections?.();
    await app.close();
  });

  test("reply.hijack() then sse(request.raw, reply.raw, handler) streams each event at once, with the reply's headers", async () => {
    steps = stepped();
    const response = await readSteps(`${base}/events`);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
  });
});

describe(`Koa with edge-sse/node (${runtime})`, () => {
  let server: Server;
  let base: string;
  before(async () => {
    const app = new Koa();
    app.use((ctx, next) => {
      ctx.set("x-powered-by", "koa");
      return next();
    });
    app.use((ctx) => {
      if (ctx.path !== "/events") return;
      ctx.respond = false;
      sse(ctx.req, ctx.res, (stream) => steps.handler(stream));
    });
    server = createServer(app.callback());
    base = await listen(server);
  });
  after(() => close(server));

  test("ctx.respond = false then sse(ctx.req, ctx.res, handler) streams each event at once", async () => {
    steps = stepped();
    const response = await readSteps(`${base}/events`);
    assert.equal(response.headers.get("x-powered-by"), "koa");
  });

  test("Koa answers its other routes as usual", async () => {
    const { text } = await readUntil((await fetch(`${base}/other`)).body!, () => false);
    assert.equal(text, "Not Found");
  });
});
