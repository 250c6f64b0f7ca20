// The server of bench/revisions.ts: Deno.serve (or Bun.serve, on Bun) with one edge-sse revision,
// the bundle named by EDGE_SSE_REVISION, and the bench client's endpoints.
//
//   GET /stream?size=64&n=300000   `await stream.send({ data })` n times
//   GET /gc   a full garbage collection     GET /cpu   CPU time so far (µs)
//
// Prints one JSON line `{"port":..,"pid":..}` once it listens.

import process from "node:process";
import { pathToFileURL } from "node:url";
import type { sse as SSE } from "../src/sse.ts";

const bundle = process.env.EDGE_SSE_REVISION;
if (bundle === undefined) throw new Error("Cannot start: set EDGE_SSE_REVISION to a bundle");
const { sse } = await import(pathToFileURL(bundle).href) as { sse: typeof SSE };

/** Bun's server, where this runs on Bun (its types are not in this project). */
interface BunServe {
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch(request: Request): Response;
  }): { port: number };
  gc(force: boolean): void;
}
const bun = (globalThis as { Bun?: BunServe }).Bun;

const gc = bun === undefined ? (globalThis as { gc?: () => void }).gc : () => bun.gc(true);

function handle(request: Request): Response {
  const url = new URL(request.url);
  if (url.pathname === "/gc") {
    gc?.();
    return Response.json({ collected: gc !== undefined });
  }
  if (url.pathname === "/cpu") {
    const { user, system } = process.cpuUsage();
    return Response.json({ micros: user + system });
  }
  const data = "x".repeat(Number(url.searchParams.get("size") ?? 64));
  const n = Number(url.searchParams.get("n") ?? 0);
  return sse(request, async (stream) => {
    for (let i = 0; i < n; i++) if (!await stream.send({ data })) return;
  });
}

if (bun !== undefined) {
  const { port } = bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: handle });
  console.log(JSON.stringify({ port, pid: process.pid }));
} else {
  Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => console.log(JSON.stringify({ port, pid: process.pid })),
  }, handle);
}
