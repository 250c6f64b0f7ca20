// Fan-out over sockets on Node (run by bench/fanout.ts): one event broadcast
// to 5 000 and 10 000 subscribers, each a raw node:net client in a separate
// process; the time from the publish request until the last subscriber has
// the event, median of 15 broadcasts (3 passes of 5, contenders interleaved).
// Contenders, each on a fresh node:http server per pass (bench/fanout_server.ts):
//
// - floor: a Set of ServerResponses, one res.write() of the same string each
// - better-sse: its Channel, sessions on node:http (keepAlive off)
// - edge-sse node: Channel + `edge-sse/node`'s sse(req, res)
// - edge-sse hono: Channel + the web sse() through @hono/node-server

import { ROOT } from "./proc.ts";
import { fixed, median, percentile, table } from "./report.ts";

const CONTENDERS = ["floor", "better-sse", "edge-sse-node", "edge-sse-hono"] as const;
type Contender = typeof CONTENDERS[number];
const LABELS: Record<Contender, string> = {
  floor: "floor: Set of res, res.write() each",
  "better-sse": "better-sse Channel",
  "edge-sse-node": "edge-sse Channel, edge-sse/node",
  "edge-sse-hono": "edge-sse Channel, @hono/node-server",
};
const BUILD = `${ROOT}/.build/bench`;
const SERVER = `${BUILD}/fanout-server.mjs`;
const CLIENT = `${BUILD}/fanout-client.mjs`;

interface Result {
  contender: Contender;
  subscribers: number;
  deliveredMs: number[];
  /** The server's CPU time per broadcast. */
  cpuMs: number;
  /** The server's garbage-collection time per broadcast. */
  gcMs: number;
}

/** Bundles the server and the client for Node. */
async function build(): Promise<void> {
  for (const [entry, out] of [["fanout_server", SERVER], ["fanout_client", CLIENT]]) {
    const result = await new Deno.Command(`${ROOT}/node_modules/.bin/esbuild`, {
      args: [`bench/${entry}.ts`, "--bundle", "--platform=node", "--format=esm"]
        .concat(["--target=node20", "--packages=external", `--outfile=${out}`])
        .concat(["--log-level=warning"]),
      cwd: ROOT,
    }).output();
    if (!result.success) throw new Error(`esbuild bench/${entry}.ts failed`);
  }
}

/** `sh -c` with the soft open-file limit raised to the hard one (10 000 sockets). */
function spawn(argv: string[], stdout: "piped" | "null"): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...argv],
    cwd: ROOT,
    stdout,
    stderr: "inherit",
  }).spawn();
}

async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("fan-out server exited without output");
    text += value;
  }
  reader.releaseLock();
  return text.slice(0, text.indexOf("\n"));
}

async function measure(contender: Contender, subscribers: number, rounds: number) {
  const server = spawn(["node", SERVER, contender], "piped");
  try {
    const { port } = JSON.parse(await firstLine(server.stdout));
    const job = { port, count: subscribers, rounds, warmup: 1 };
    const client = await spawn(["node", CLIENT, JSON.stringify(job)], "piped").output();
    if (!client.success) throw new Error(`fan-out client failed on ${contender}`);
    return JSON.parse(new TextDecoder().decode(client.stdout).trim()) as {
      deliveredMs: number[];
      cpuMs: number;
      gcMs: number;
    };
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
}

/** Runs every contender at every size on Node; returns the markdown section. */
export async function socketFanout(quick: boolean, log: (line: string) => void): Promise<string> {
  await build();
  const sizes = quick ? [1_000] : [5_000, 10_000];
  // Passes interleave the contenders, so that load changes on the shared
  // machine hit them alike: each pass opens every contender's subscribers
  // afresh and times a few broadcasts.
  const passes = quick ? 1 : 3;
  const rounds = 5;
  const results: Result[] = [];
  for (const subscribers of sizes) {
    const mine = CONTENDERS.map((contender) => ({
      contender,
      subscribers,
      deliveredMs: [] as number[],
      cpuMs: 0,
      gcMs: 0,
    }));
    for (let pass = 1; pass <= passes; pass++) {
      for (const result of mine) {
        log(`[fanout] sockets: ${result.contender}, ${subscribers} subscribers, pass ${pass}`);
        const { deliveredMs, cpuMs, gcMs } = await measure(result.contender, subscribers, rounds);
        result.deliveredMs.push(...deliveredMs);
        result.cpuMs += cpuMs / passes;
        result.gcMs += gcMs / passes;
      }
    }
    results.push(...mine);
  }
  const rows = results.map(({ contender, subscribers, deliveredMs, cpuMs, gcMs }) => {
    const of = (name: Contender) =>
      median(
        results.find((r) => r.contender === name && r.subscribers === subscribers)!.deliveredMs,
      );
    const delivered = median(deliveredMs);
    return [
      String(subscribers),
      LABELS[contender],
      fixed(delivered, 1),
      fixed(Math.min(...deliveredMs), 1),
      fixed(percentile(deliveredMs, 95), 1),
      factor(delivered, of("floor")),
      factor(delivered, of("better-sse")),
      fixed(cpuMs, 1),
      fixed(gcMs, 1),
    ];
  });
  return [
    `### 4b. Fan-out over sockets on Node: one event to every subscriber, median of ${
      passes * rounds
    } broadcasts`,
    "",
    "Each subscriber is a raw node:net client in a separate process; the time from the " +
    "publish request until the last subscriber has the event. A fresh node:http server per " +
    "contender, size and pass; passes of 5 broadcasts, contenders interleaved. Server CPU: the server process's CPU time per broadcast (user + " +
    "system, all threads), less sensitive to other load on the machine than the times; GC: " +
    "its garbage-collection pauses per broadcast (perf_hooks).",
    "",
    table(
      [
        "subscribers",
        "contender",
        "last has it, ms",
        "min ms",
        "p95 ms",
        "vs floor",
        "vs better-sse",
        "server CPU ms",
        "of which GC ms",
      ],
      rows,
    ),
  ].join("\n");
}

function factor(value: number, reference: number): string {
  return reference > 0 ? `${(value / reference).toFixed(2)}×` : "–";
}
