// The bench server: one process of Deno.serve, Bun.serve or
// @hono/node-server on 127.0.0.1, serving every contender (on Node, also
// better-sse and edge-sse/node on the same node:http server).
//
//   GET /stream?c=<contender>&mode=<mode>&...   a stream (see scenario.ts)
//   GET /stats   counters, edge-sse's scheduler.timers / .pending
//   GET /gc      a full garbage collection (needs --expose-gc or Bun)
//   GET /clock   wall-clock ms, for the abort client's clock offset
//   GET /cpu     the process's CPU time so far (user + system, µs)
//
// Prints one JSON line `{"port":..,"pid":..}` once it listens.

import process from "node:process";
import { pathToFileURL } from "node:url";
import { scheduler } from "../src/scheduler.ts";
import { type BunServer, edge } from "./edge.ts";
import { floor } from "./floor.ts";
import { honoApp } from "./hono_app.ts";
import { counters, parseScenario, wallNow } from "./scenario.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const isDeno = globals.Deno !== undefined;
const isBun = globals.Bun !== undefined;

/**
 * `--baseline=<rev>`: that revision's `sse()` and the checkout's, from the
 * copies bench/proc.ts made, loaded alike: the source on Deno and Bun, a
 * bundle on Node.
 */
async function load(dir: string | undefined): Promise<typeof import("../src/sse.ts").sse | null> {
  if (dir === undefined) return null;
  const file = `${dir}/${isDeno || isBun ? "mod.ts" : "bundle.mjs"}`;
  return (await import(pathToFileURL(file).href)).sse;
}
const baseline = await load(process.env.EDGE_SSE_BASELINE);
const checkout = await load(process.env.EDGE_SSE_CHECKOUT);

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });
}

function collectGarbage(): boolean {
  if (isBun) {
    globals.Bun.gc(true);
    return true;
  }
  if (typeof globals.gc === "function") {
    globals.gc();
    return true;
  }
  return false;
}

function handle(request: Request, server: BunServer): Response | Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/stream": {
      const scenario = parseScenario(url);
      if (scenario.contender === "hono") return honoApp.fetch(request);
      if (scenario.contender === "edge-sse") {
        return edge(request, scenario, server, checkout ?? undefined);
      }
      if (scenario.contender === "edge-sse-baseline") {
        if (baseline === null) throw new Error("no baseline: run with --baseline=<rev>");
        return edge(request, scenario, server, baseline);
      }
      return floor(request, scenario, isDeno);
    }
    case "/stats":
      return json({
        ...counters,
        timers: scheduler.timers,
        pending: scheduler.pending,
        rss: process.memoryUsage().rss,
      });
    case "/gc":
      return json({ collected: collectGarbage() });
    case "/clock":
      return json({ now: wallNow() });
    case "/cpu": {
      const { user, system } = process.cpuUsage();
      return json({ micros: user + system });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}

function ready(port: number): void {
  console.log(JSON.stringify({ port, pid: process.pid }));
}

if (isDeno) {
  globals.Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: (addr: { port: number }) => ready(addr.port) },
    (request: Request) => handle(request, undefined),
  );
} else if (isBun) {
  const server = globals.Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request: Request, bunServer: BunServer) => handle(request, bunServer),
  });
  ready(server.port);
} else {
  // @hono/node-server's listener (what its serve() runs) on a node:http
  // server that also serves the Node-only contenders (better-sse, edge-sse/node).
  const { getRequestListener } = await import("@hono/node-server");
  const { createServer } = await import("node:http");
  const { nodeContender } = await import("./node_contenders.ts");
  const listener = getRequestListener((request: Request) => handle(request, undefined));
  const server = createServer((req, res) => {
    if (!nodeContender(req, res)) listener(req, res);
  });
  server.listen(0, "127.0.0.1", () => ready((server.address() as { port: number }).port));
}
