// Open/abort cycles: thousands of streams that the client leaves at the first
// byte, mid-send and mid-sleep, or that end by the handler returning. After
// them: streams left open, unhandled rejections, and the heap and RSS slope
// per cycle against the floor (a bare ReadableStream doing the same).

import { type Runtime, startServer } from "../bench/proc.ts";
import { count, fixed, footer, load, table } from "../bench/report.ts";
import { Conn, delay, pool } from "./conn.ts";
import type { SoakContext } from "./main.ts";

const MOMENTS = ["first-byte", "mid-send", "mid-sleep", "return"] as const;
type Moment = typeof MOMENTS[number];
const BATCHES = 5;

interface ServerStats {
  opened: number;
  ended: number;
  floorOpened: number;
  floorEnded: number;
  unhandled: number;
  unhandledSamples: string[];
  heap: number;
  rss: number;
}

async function cycle(port: number, contender: string, moment: Moment): Promise<void> {
  const conn = await Conn.open(port, `/cycle?c=${contender}&moment=${moment}`, {
    keepText: moment === "mid-sleep",
  });
  if (moment === "first-byte") {
    await Promise.race([conn.readUntil((c) => c.bytes > 0), delay(5000)]);
  } else if (moment === "mid-send") {
    await Promise.race([conn.readUntil((c) => c.bytes > 64 * 1024), delay(5000)]);
  } else if (moment === "mid-sleep") {
    await Promise.race([conn.readUntil((c) => c.text.includes("data: tick")), delay(5000)]);
  } else {
    await Promise.race([conn.readToEnd(), delay(5000)]);
  }
  conn.close();
}

/** Least-squares slope of `y` over `x`. */
function slope(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

interface Result {
  cycles: number;
  leftOpen: number;
  unhandled: number;
  heapSlope: number;
  rssSlope: number;
  heapGrowth: number;
}

async function run(runtime: Runtime, contender: string, perMoment: number): Promise<Result> {
  const server = await startServer(runtime, "soak/server.ts");
  try {
    const get = (path: string) => server.get<ServerStats>(path);
    const perBatch = Math.ceil(perMoment / BATCHES);
    const jobs = MOMENTS.flatMap((moment) => Array<Moment>(perBatch).fill(moment));
    // One warm-up batch, then BATCHES measured ones.
    await pool(jobs, 16, (moment) => cycle(server.port, contender, moment));
    await delay(300);
    const xs: number[] = [];
    const heaps: number[] = [];
    const rsss: number[] = [];
    let done = 0;
    for (let batch = 0; batch <= BATCHES; batch++) {
      if (batch > 0) {
        await pool(jobs, 16, (moment) => cycle(server.port, contender, moment));
        done += jobs.length;
        await delay(300);
      }
      const s = await get("/stats?gc=1");
      xs.push(done);
      heaps.push(s.heap);
      rsss.push(s.rss);
    }
    await delay(2000);
    const s = await get("/stats?gc=1");
    const leftOpen = contender === "floor" ? s.floorOpened - s.floorEnded : s.opened - s.ended;
    return {
      cycles: done + jobs.length,
      leftOpen,
      unhandled: s.unhandled,
      heapSlope: slope(xs, heaps),
      rssSlope: slope(xs, rsss),
      heapGrowth: (s.heap - heaps[0]) / 1024,
    };
  } finally {
    await server.stop();
  }
}

/** The open/abort cycles section. */
export async function cycles(context: SoakContext): Promise<string> {
  const perMoment = context.quick ? 60 : 800;
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    const results = new Map<string, Result>();
    for (const contender of ["floor", "edge"]) {
      context.log(`cycles: ${runtime} ${contender}`);
      results.set(contender, await run(runtime, contender, perMoment));
    }
    const floor = results.get("floor")!;
    const edge = results.get("edge")!;
    if (edge.leftOpen > 0) context.broken(`cycles ${runtime}: ${edge.leftOpen} streams left open`);
    if (edge.unhandled > 0) {
      context.broken(`cycles ${runtime}: ${edge.unhandled} unhandled rejections`);
    }
    for (const [contender, r] of results) {
      rows.push([
        runtime,
        contender === "edge" ? "edge-sse" : "floor",
        count(r.cycles),
        count(r.leftOpen),
        count(r.unhandled),
        fixed(r.heapSlope),
        fixed(r.rssSlope),
        contender === "edge" ? fixed(r.heapSlope - floor.heapSlope) : "",
        fixed(r.heapGrowth),
      ]);
    }
  }
  const after = await load();
  return [
    "### Open/abort cycles",
    "",
    "`npm run soak -- cycles`",
    "",
    table([
      "runtime",
      "contender",
      "cycles",
      "left open",
      "unhandled rejections",
      "heap B/cycle",
      "RSS B/cycle",
      "heap B/cycle over floor",
      "heap growth KiB",
    ], rows),
    "",
    `Each cycle opens a stream and ends it at one of four moments (${MOMENTS.join(", ")}; ` +
    "equal shares, 16 at a time): the client drops the connection at the first body byte, " +
    "after 64 KiB of a send loop, or after the first event of a send/sleep loop, or the " +
    "handler returns after two events and the client reads to the end. Left open: streams " +
    "whose `closed` (floor: `cancel()`/end) had not settled 2 s after the last cycle. Slopes: " +
    `least squares over ${BATCHES} batches after a warm-up batch, heap and RSS after a forced ` +
    "GC; a slope under ~50 B/cycle is noise (a leak of one stream's state is kilobytes). " +
    "Heap growth: from the first measured batch to the end.",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
