// The stream both sides of bench/revisions.ts measure: the edge-sse revision
// in the bundle named by EDGE_SSE_REVISION, sending `n` events of `size`
// bytes, each awaited (`await stream.send({ data })` in a loop). Used by the
// server (revision_server.ts) and in process (revision_in_process.ts), so
// that both measure the same handler.

import process from "node:process";
import { pathToFileURL } from "node:url";
import type { sse as SSE } from "../src/sse.ts";

const bundle = process.env.EDGE_SSE_REVISION;
if (bundle === undefined) throw new Error("Cannot start: set EDGE_SSE_REVISION to a bundle");
const { sse } = await import(pathToFileURL(bundle).href) as { sse: typeof SSE };

/** The revision's response to `request`: `n` events of `size` bytes of data. */
export function revisionStream(request: Request, size: number, n: number): Response {
  const data = "x".repeat(size);
  return sse(request, async (stream) => {
    for (let i = 0; i < n; i++) if (!await stream.send({ data })) return;
  });
}
