// Benchmark 1: one stream, 200 000 events of 64 B and of 1 KiB `data`,
// producer awaiting each write; events/s and MB/s counted at the client.

import {
  type Contender,
  CONTENDERS,
  type Context,
  label,
  NODE_CONTENDERS,
  type NodeContender,
} from "./context.ts";
import { runClient, startServer } from "./proc.ts";
import { count, fixed, footer, load, median, ratio, table } from "./report.ts";

interface Run {
  status: number;
  events: number;
  bytes: number;
  ms: number;
  clientCpuMs: number;
  serverCpuMs: number;
}

const SIZES = [64, 1024];

/** A row of the table: `edge-sse-baseline` with `--baseline=<rev>`. */
type Listed = Contender | NodeContender | "edge-sse-baseline";

/** Runs the throughput benchmark; returns its markdown section. */
export async function throughput(context: Context): Promise<string> {
  const events = context.quick ? 50_000 : 200_000;
  const rounds = context.quick ? 1 : 5;
  const before = await load();
  const rows: string[][] = [];
  const versusBetterSse: string[] = [];
  const versusBaseline: string[] = [];
  for (const runtime of context.runtimes) {
    context.log(`throughput: ${runtime}`);
    // On Node, also better-sse and edge-sse/node on the same node:http server.
    const contenders: Listed[] = [
      ...CONTENDERS,
      ...(context.baseline === undefined ? [] : ["edge-sse-baseline" as const]),
      ...(runtime === "node" ? NODE_CONTENDERS : []),
    ];
    const server = await startServer(runtime);
    try {
      // One client process for the runtime: a warm-up stream per contender,
      // then the rounds, contenders interleaved so that load changes on the
      // machine hit every contender alike.
      const plan: { contender: Listed; size: number; warmup: boolean }[] = [];
      for (const size of SIZES) {
        for (const contender of contenders) plan.push({ contender, size, warmup: true });
        for (let round = 0; round < rounds; round++) {
          // Reversed every other round: no contender always runs after the same one.
          const order = round % 2 === 0 ? contenders : contenders.toReversed();
          for (const contender of order) plan.push({ contender, size, warmup: false });
        }
      }
      const paths = plan.map(({ contender, size, warmup }) =>
        `/stream?c=${contender}&mode=throughput&size=${size}&n=${warmup ? events / 10 : events}`
      );
      const runs = await runClient<Run>({ mode: "throughput", port: server.port, paths }, 600_000);
      for (const size of SIZES) {
        const medians = new Map<
          Listed,
          { eventsPerSecond: number; mbps: number; cpu: number; nsPerEvent: number }
        >();
        for (const contender of contenders) {
          const mine = runs.filter((_, i) =>
            !plan[i].warmup && plan[i].contender === contender && plan[i].size === size
          );
          for (const run of mine) check(run, events, contender, runtime);
          medians.set(contender, {
            eventsPerSecond: median(mine.map((run) => (run.events / run.ms) * 1000)),
            mbps: median(mine.map((run) => run.bytes / run.ms / 1000)),
            cpu: median(mine.map((run) => (run.clientCpuMs / run.ms) * 100)),
            nsPerEvent: median(mine.map((run) => (run.serverCpuMs * 1e6) / run.events)),
          });
        }
        const floorB = medians.get("floor-b")!.eventsPerSecond;
        const floorBCpu = medians.get("floor-b")!.nsPerEvent;
        const hono = medians.get("hono")!.eventsPerSecond;
        const betterSse = medians.get("better-sse")?.eventsPerSecond;
        const old = medians.get("edge-sse-baseline");
        if (old !== undefined) {
          const now = medians.get("edge-sse")!;
          versusBaseline.push(
            `${runtime} ${size === 64 ? "64 B" : "1 KiB"}: ${
              ratio(now.eventsPerSecond, old.eventsPerSecond, true)
            } the events/s, ${
              ratio(now.nsPerEvent, old.nsPerEvent, true)
            } the server CPU per event`,
          );
        }
        if (betterSse !== undefined) {
          const nodeEntry = medians.get("edge-sse-node")!.eventsPerSecond;
          const edge = medians.get("edge-sse")!.eventsPerSecond;
          versusBetterSse.push(
            `${size === 64 ? "64 B" : "1 KiB"}: edge-sse/node ${
              ratio(nodeEntry, betterSse, true)
            }` +
              `, edge-sse through @hono/node-server ${ratio(edge, betterSse, true)}`,
          );
        }
        for (const contender of contenders) {
          const m = medians.get(contender)!;
          rows.push([
            runtime,
            contender === "edge-sse-baseline" ? `edge-sse @ ${context.baseline}` : label(contender),
            size === 64 ? "64 B" : "1 KiB",
            count(m.eventsPerSecond),
            fixed(m.mbps),
            ratio(m.eventsPerSecond, floorB),
            contender === "hono" ? "1.0×" : ratio(m.eventsPerSecond, hono, true),
            count(m.nsPerEvent),
            ratio(m.nsPerEvent, floorBCpu, true),
            `${Math.round(m.cpu)} %`,
          ]);
        }
      }
    } finally {
      await server.stop();
    }
  }
  const after = await load();
  return [
    `### 1. Throughput: one stream, ${count(events)} events, median of ${rounds} round(s)`,
    "",
    table(
      [
        "runtime",
        "contender",
        "data",
        "events/s",
        "MB/s",
        "vs floor (b)",
        "vs hono",
        "server CPU ns/event",
        "vs floor (b)",
        "client CPU",
      ],
      rows,
    ),
    "",
    "Targets: edge-sse ≥ 50 % of floor (b) on Deno and Bun, and ≥ 5× hono. " +
    "MB/s counts the body bytes the client received (10^6 bytes). Server CPU: the server " +
    "process's CPU time (all threads) over the stream, per event: less sensitive than events/s " +
    "to other load on the machine. Client CPU: the Node client's CPU time over the stream's " +
    "duration (near 100 %: the client was the limit).",
    ...(versusBaseline.length === 0 ? [] : [
      "",
      `The checkout against edge-sse at ${context.baseline}: ` + versusBaseline.join("; ") + ".",
    ]),
    ...(versusBetterSse.length === 0 ? [] : [
      "",
      "Node, events/s against better-sse on node:http (target: edge-sse/node ahead): " +
      versusBetterSse.join("; ") + ".",
    ]),
    "",
    footer(context.machine, before, after),
  ].join("\n");
}

/** Every event must have arrived: a short count means the benchmark is broken. */
function check(
  run: Run,
  events: number,
  contender: Listed,
  runtime: string,
): void {
  if (run.status !== 200 || run.events < events) {
    throw new Error(
      `throughput ${runtime} ${contender}: status ${run.status}, ${run.events}/${events} events`,
    );
  }
}
