// The in-process side of bench/revisions.ts (`--in-process`): one edge-sse
// revision, the bundle named by EDGE_SSE_REVISION, streams `n` events of
// `size` bytes (revision_stream.ts, as the server of revision_server.ts does)
// into a reader in the same process: no socket, no HTTP,
// so the figure is edge-sse's own work plus the web stream it writes into.
// Five streams; prints one JSON line with the CPU time per event (ns) of the
// last three (the first two warm it up).
//
//   EDGE_SSE_REVISION=<bundle> deno run -A bench/revision_in_process.ts <size> <n>

import process from "node:process";
import { median } from "./report.ts";
import { revisionStream } from "./revision_stream.ts";

const [size = "64", count = "300000"] = process.argv.slice(2);
const n = Number(count);

/** CPU time (ns) per event of one stream, read to its end. */
async function stream(): Promise<number> {
  const response = revisionStream(new Request("http://localhost/"), Number(size), n);
  const reader = response.body!.getReader();
  const start = process.cpuUsage();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  const { user, system } = process.cpuUsage(start);
  if (bytes < n * Number(size)) throw new Error(`Cannot measure: only ${bytes} bytes arrived`);
  return ((user + system) * 1e3) / n;
}

const runs: number[] = [];
for (let i = 0; i < 5; i++) runs.push(await stream());
console.log(JSON.stringify({ nsPerEvent: median(runs.slice(2)) }));
