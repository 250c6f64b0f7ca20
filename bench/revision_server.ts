// The server of bench/revisions.ts: Deno.serve (or Bun.serve, on Bun) with one edge-sse revision,
// the bundle named by EDGE_SSE_REVISION, and the bench client's endpoints.
//
//   GET /stream?size=64&n=300000   `await stream.send({ data })` n times
//   GET /gc   a full garbage collection     GET /cpu   CPU time so far (µs)
//
// Prints one JSON line `{"port":..,"pid":..}` once it listens.

import process from "node:process";
import { revisionStream } from "./revision_stream.ts";

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
  const size = Number(url.searchParams.get("size") ?? 64);
  return revisionStream(request, size, Number(url.searchParams.get("n") ?? 0));
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
