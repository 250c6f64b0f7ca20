// The soak server: one process of Deno.serve, Bun.serve or
// @hono/node-server on 127.0.0.1, serving the scenarios of soak/handlers.ts
// and the counters the orchestrator reads.
//
//   GET /cycle?c=edge|floor&moment=...    open/abort cycles (soak/cycles.ts)
//   GET /reader?producer=...&text=...     slow and stalled readers (soak/readers.ts)
//   GET /load?id=N, GET /shutdown, GET /acked   shutdown under load (soak/shutdown.ts)
//   GET /fault?kind=...                   faulty handlers (soak/faults.ts)
//   GET /stats[?gc=1]                     counters, heap and RSS (after a GC with gc=1)
//   GET /ping                             the server still answers
//
// Prints one JSON line `{"port":..,"pid":..}` once it listens.

import process from "node:process";
import { handle } from "./handlers.ts";
import { collectGarbage, heapBytes, stats } from "./stats.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const isDeno = globals.Deno !== undefined;
const isBun = globals.Bun !== undefined;

// Unhandled rejections are counted, not fatal: the soak reports them.
if (isDeno) {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    stats.unhandled++;
    stats.unhandledSamples.push(String(event.reason).slice(0, 200));
  });
} else {
  process.on("unhandledRejection", (reason) => {
    stats.unhandled++;
    stats.unhandledSamples.push(String(reason).slice(0, 200));
  });
}
// The library logs handler failures with console.error: count them, keep the output quiet.
console.error = (...args: unknown[]) => {
  stats.logged++;
  if (stats.logSamples.length < 5) stats.logSamples.push(args.map(String).join(" ").slice(0, 200));
};

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });
}

async function route(request: Request, server: unknown): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/stats") {
    if (url.searchParams.has("gc")) await collectGarbage();
    const { unhandledSamples, logSamples, ...rest } = stats;
    return json({
      ...rest,
      unhandledSamples: unhandledSamples.slice(0, 5),
      logSamples,
      heap: await heapBytes(),
      rss: process.memoryUsage().rss,
    });
  }
  if (url.pathname === "/ping") return json({ pong: true });
  return handle(request, url, server);
}

function ready(port: number): void {
  console.log(JSON.stringify({ port, pid: process.pid }));
}

if (isDeno) {
  globals.Deno.serve(
    {
      port: 0,
      hostname: "127.0.0.1",
      onListen: (addr: { port: number }) => ready(addr.port),
      onError: () => new Response("error", { status: 500 }),
    },
    (request: Request) => route(request, undefined),
  );
} else if (isBun) {
  const server = globals.Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request: Request, bunServer: unknown) => route(request, bunServer),
  });
  ready(server.port);
} else {
  const { serve } = await import("@hono/node-server");
  serve(
    { fetch: (request: Request) => route(request, undefined), port: 0, hostname: "127.0.0.1" },
    (info: { port: number }) => ready(info.port),
  );
}
