// The HTTP/2 benchmark's server: the same handler over HTTPS (Deno.serve with
// cert/key; elsewhere @hono/node-server on http2.createSecureServer, which
// Bun's Bun.serve cannot replace: it offers no h2) and over plain HTTP/1.1
// (Deno.serve, Bun.serve, @hono/node-server). See bench/http2.ts.
//
//   GET /             a page for the client to open EventSources from
//   GET /tick?name=N  an event every 50 ms; how it ended is kept under N
//   GET /ends         { N: { reason, at } } for every ended /tick stream
//
// Reads the certificate from the files named by CERT and KEY; prints one
// JSON line `{"https":port,"http":port}` once both listen.

import process from "node:process";
import { readFileSync } from "node:fs";
import { sse, type StreamClosed } from "../mod.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const ends: Record<string, { reason: string; at: number }> = {};

function handle(request: Request, server?: unknown): Response {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/":
      return new Response("<!doctype html><title>http2 bench</title>", {
        headers: { "content-type": "text/html" },
      });
    case "/ends":
      return Response.json(ends);
    case "/tick": {
      const name = url.searchParams.get("name") ?? "";
      return sse(request, async (stream) => {
        stream.signal.addEventListener("abort", () => {
          ends[name] = { reason: (stream.signal.reason as StreamClosed).reason, at: Date.now() };
        });
        for (let n = 1; await stream.send({ data: n }); n++) await stream.sleep(50);
      }, {
        heartbeat: false,
        // deno-lint-ignore no-explicit-any
        server: server as any,
      });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}

const cert = readFileSync(process.env.CERT!, "utf8");
const key = readFileSync(process.env.KEY!, "utf8");
const ports: { https?: number; http?: number } = {};
const ready = (kind: "https" | "http", port: number) => {
  ports[kind] = port;
  if (ports.https && ports.http) console.log(JSON.stringify(ports));
};

if (globals.Deno) {
  const options = { port: 0, hostname: "127.0.0.1" };
  globals.Deno.serve({
    ...options,
    cert,
    key,
    onListen: (a: { port: number }) => ready("https", a.port),
  }, (r: Request) => handle(r));
  globals.Deno.serve(
    { ...options, onListen: (a: { port: number }) => ready("http", a.port) },
    (r: Request) => handle(r),
  );
} else {
  const { serve } = await import("@hono/node-server");
  const { createSecureServer } = await import("node:http2");
  const isBun = globals.Bun !== undefined;
  serve({
    fetch: (r: Request) => handle(r),
    port: 0,
    hostname: "127.0.0.1",
    createServer: createSecureServer,
    serverOptions: { cert, key, allowHTTP1: true },
    overrideGlobalObjects: !isBun,
  }, (info: { port: number }) => ready("https", info.port));
  if (isBun) {
    const server = globals.Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handle });
    ready("http", server.port);
  } else {
    serve(
      { fetch: (r: Request) => handle(r), port: 0, hostname: "127.0.0.1" },
      (info: { port: number }) => ready("http", info.port),
    );
  }
}
