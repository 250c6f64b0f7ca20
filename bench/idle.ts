// Benchmark 2: thousands of open, quiet streams with a 1 s heartbeat: the
// server's resident memory per connection and its CPU while idle, and how
// many runtime timers they cost.

import { type Context, label, STREAM_CONTENDERS } from "./context.ts";
import {
  cpuSeconds,
  delay,
  fileLimit,
  rssKiB,
  type Runtime,
  startClient,
  startServer,
} from "./proc.ts";
import { count, fixed, footer, load, ratio, table } from "./report.ts";

interface Stats {
  floorTimers: number;
  honoSleeping: number;
  timers: number;
  pending: number;
}

interface Result {
  kibPerConnection: number;
  cpuPercent: number;
  timers: string;
  beatsPerSecond: number;
}

const HEARTBEAT = 1000;
const WARMUP_STREAMS = 100;

/** Runs the idle-connections benchmark; returns its markdown section. */
export async function idle(context: Context): Promise<string> {
  const wanted = context.quick ? [1000] : [2000, 10_000];
  const limit = await fileLimit();
  // The server and the client each hold one descriptor per connection.
  const sizes = wanted.map((n) => Math.min(n, limit - 200));
  const window = context.quick ? 1000 : 5000;
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    for (const connections of sizes) {
      const results = new Map<string, Result>();
      for (const contender of STREAM_CONTENDERS) {
        context.log(`idle: ${runtime} ${contender} ${connections}`);
        results.set(
          contender,
          await measure(runtime, contender, connections, window, context.quick),
        );
      }
      const floor = results.get("floor-a")!;
      for (const contender of STREAM_CONTENDERS) {
        const r = results.get(contender)!;
        rows.push([
          runtime,
          count(connections),
          label(contender, true),
          fixed(r.kibPerConnection),
          ratio(r.kibPerConnection, floor.kibPerConnection),
          fixed(r.cpuPercent),
          ratio(r.cpuPercent, floor.cpuPercent),
          r.timers,
          count(r.beatsPerSecond),
        ]);
      }
    }
  }
  const after = await load();
  const capped = sizes.some((n, i) => n < wanted[i])
    ? `\n\nConnections capped by the open-file limit (${limit}).`
    : "";
  return [
    `### 2. Idle connections: ${HEARTBEAT / 1000} s heartbeat`,
    "",
    table(
      [
        "runtime",
        "streams",
        "contender",
        "KiB/conn",
        "vs floor",
        "CPU % idle",
        "vs floor",
        "timers",
        "beats/s at client",
      ],
      rows,
    ),
    "",
    "Server RSS after a forced GC, minus the same after a warm-up (not with --quick), per " +
    "stream; CPU over a " +
    `${window / 1000} s window once every stream is open (100 % = one core). Timers: ` +
    "edge-sse's `scheduler.timers` (runtime timers live), the floor's live `setInterval`s, " +
    "hono's streams inside `stream.sleep()` (one `setTimeout` each). Beats/s: heartbeats the " +
    "client received per second (expect one per stream). Targets: KiB/conn within 10 % of " +
    "the floor, CPU below the floor, one timer." + capped,
    "",
    footer(context.machine, before, after),
  ].join("\n");
}

async function measure(
  runtime: Runtime,
  contender: string,
  connections: number,
  window: number,
  quick: boolean,
): Promise<Result> {
  const server = await startServer(runtime);
  const path = `/stream?c=${contender}&mode=idle&hb=${HEARTBEAT}`;
  try {
    // Warm-up (not with --quick): the first streams compile code and fill
    // caches that later streams reuse; they must not count per connection.
    if (!quick) {
      const warmup = startClient({ mode: "idle", port: server.port, path, count: WARMUP_STREAMS });
      await warmup.next(30_000);
      await warmup.tell("close");
      await warmup.next(10_000);
      await warmup.stop();
      await delay(HEARTBEAT * 2);
    }
    await server.get("/gc");
    await delay(300);
    const baseline = await rssKiB(server.pid);

    const client = startClient({ mode: "idle", port: server.port, path, count: connections });
    try {
      await client.next(120_000);
      // Every stream's heartbeat has started before the CPU window opens.
      await delay(quick ? HEARTBEAT : HEARTBEAT * 2);
      const cpuBefore = await cpuSeconds(server.pid);
      const started = performance.now();
      await client.tell("mark");
      await client.next(5000);
      await delay(window);
      const cpuAfter = await cpuSeconds(server.pid);
      const elapsed = (performance.now() - started) / 1000;
      await client.tell("beats");
      const { beatsPerSecond, closedByServer } = await client.next<
        { beatsPerSecond: number; closedByServer: number }
      >(5000);
      if (closedByServer > 0) {
        throw new Error(
          `idle ${runtime} ${contender}: the server closed ${closedByServer} streams`,
        );
      }
      const stats = await server.get<Stats>("/stats");
      await server.get("/gc");
      await delay(300);
      const rss = await rssKiB(server.pid);
      await client.tell("close");
      await client.next(10_000);
      return {
        kibPerConnection: (rss - baseline) / connections,
        cpuPercent: ((cpuAfter - cpuBefore) / elapsed) * 100,
        timers: timers(contender, stats),
        beatsPerSecond,
      };
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

function timers(contender: string, stats: Stats): string {
  if (contender === "edge-sse") return `${stats.timers} (${count(stats.pending)} tasks)`;
  if (contender === "hono") return count(stats.honoSleeping);
  return count(stats.floorTimers);
}
