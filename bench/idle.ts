// Benchmark 2: thousands of open, quiet streams with a 1 s heartbeat: the
// server's resident memory per connection and its CPU while idle, and how
// many runtime timers they cost.

import type { Context } from "./context.ts";
import type { ObjectsResult } from "./idle_objects.ts";
import {
  cpuSeconds,
  delay,
  fileLimit,
  objectsArgv,
  rssKiB,
  runJson,
  type Runtime,
  startClient,
  startServer,
} from "./proc.ts";
import { SHAPE_LABELS, SHAPES } from "./shapes.ts";
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
/** How long every stream may take to open; past it the row says how many did. */
const OPEN_TIMEOUT = 120_000;

/**
 * The idle contenders: the floor, the floor of each handler shape (the same
 * handler on a bare stream, bench/floor.ts), Hono, and edge-sse with each shape.
 */
export const IDLE_CONTENDERS: string[] = [
  "floor",
  ...SHAPES.map((shape) => `floor ${shape}`),
  "hono",
  ...SHAPES.map((shape) => `edge-sse ${shape}`),
];

/** The floor of the same handler shape, for an edge-sse contender (`null` for others). */
function shapeFloor(contender: string): string | null {
  const [name, shape] = contender.split(" ");
  return name === "edge-sse" && shape ? `floor ${shape}` : null;
}

/** `value` against its shape's floor, if that was measured in the same run. */
function vsShapeFloor<T>(
  results: Map<string, T>,
  contender: string,
  value: (r: T) => number,
): string {
  const own = shapeFloor(contender);
  const floor = own === null ? undefined : results.get(own);
  return floor === undefined ? "" : ratio(value(results.get(contender)!), value(floor));
}

/** Runs the idle-connections benchmark; returns its markdown section. */
export async function idle(context: Context): Promise<string> {
  const limit = await fileLimit();
  // The server and the client each hold one descriptor per connection.
  const largest = Math.min(50_000, limit - 300);
  // --quick proves every piece runs (small, one shape over sockets, one in process).
  // Otherwise every contender at 10 000 and at the largest size (about 20 s
  // each there on 2 cores): each handler shape against its own floor.
  const plan: [number, string[]][] = context.quick
    ? [[500, ["floor", "hono", "edge-sse closed"]]]
    : [[10_000, IDLE_CONTENDERS], [largest, IDLE_CONTENDERS]];
  const sockets = await socketTable(context, plan, limit);
  const inProcess = await objects(
    context,
    context.quick ? ["floor", "edge-sse channel"] : IDLE_CONTENDERS,
  );
  return [sockets, inProcess].join("\n\n");
}

/** Streams over sockets: `plan` lists each size with its contenders. */
export async function socketTable(
  context: Context,
  plan: [number, string[]][],
  limit: number,
): Promise<string> {
  const window = context.quick ? 1000 : 5000;
  const before = await load();
  const rows: string[][] = [];
  const failed = new Map<string, string>();
  for (const runtime of context.runtimes) {
    for (const [connections, contenders] of plan) {
      const results = new Map<string, Result>();
      for (const contender of contenders) {
        context.log(`idle: ${runtime} ${contender} ${connections}`);
        try {
          results.set(
            contender,
            await measure(runtime, contender, connections, window, context.quick),
          );
        } catch (error) {
          // A contender that cannot hold this many streams here is a row, not the end of the run.
          context.log(`idle: ${runtime} ${contender} ${connections} failed: ${error}`);
          const why = error instanceof Error ? error.message : String(error);
          failed.set(`${runtime} ${connections} ${contender}`, why.slice(0, 80));
        }
      }
      const floor = results.get("floor")!;
      for (const contender of contenders) {
        const r = results.get(contender);
        if (r === undefined) {
          const why = failed.get(`${runtime} ${connections} ${contender}`) ?? "";
          rows.push([runtime, count(connections), contender, "failed", why, "", "", "", "", ""]);
          continue;
        }
        rows.push([
          runtime,
          count(connections),
          contender,
          fixed(r.kibPerConnection),
          ratio(r.kibPerConnection, floor.kibPerConnection),
          vsShapeFloor(results, contender, (x) => x.kibPerConnection),
          fixed(r.cpuPercent),
          ratio(r.cpuPercent, floor.cpuPercent),
          r.timers,
          count(r.beatsPerSecond),
        ]);
      }
    }
  }
  const after = await load();
  const largest = plan[plan.length - 1][0];
  const capped = !context.quick && largest < 50_000
    ? "\n\n50 000 connections need more descriptors than the hard open-file limit " +
      `(${count(limit)}; raising it needs CAP_SYS_RESOURCE, which this machine's containers ` +
      `lack): the largest size is ${count(largest)}. The in-process table below has 50 000 ` +
      "streams."
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
        "vs shape floor",
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
    "the floor, CPU below the floor, one timer. Shape floors (`floor <shape>`): the same " +
    "handler on a bare stream (bench/floor.ts): `returns` enqueues its event, `closed` awaits a " +
    "promise settled by the end, `loop` enqueues and awaits a `setTimeout` each turn (no " +
    "`setInterval` beside it), `channel` keeps its controller in a `Set`. Handler shapes: " +
    SHAPES.map((shape) => `${shape}: ${SHAPE_LABELS[shape]}`).join("; ") + "." + capped,
    "",
    footer(context.machine, before, after),
  ].join("\n");
}

function scenarioPath(contender: string): string {
  const [name, shape] = contender.split(" ");
  const c = name === "floor" ? "floor-a" : name;
  return `/stream?c=${c}&mode=idle&hb=${HEARTBEAT}${shape ? `&shape=${shape}` : ""}`;
}

/** Variants of bench/idle_objects.ts for each idle contender. */
function variantOf(contender: string): string {
  const [name, shape] = contender.split(" ");
  if (!shape) return name;
  return name === "floor" ? `floor-${shape}` : `edge-${shape}`;
}

/**
 * The in-process table: the same streams without sockets, at 10 000 and
 * 50 000 (no descriptor limit), JS heap and RSS per stream; then the objects
 * one stream holds, by type, for the floor and edge-sse.
 */
export async function objects(context: Context, contenders: string[]): Promise<string> {
  const sizes = context.quick ? [1000] : [10_000, 50_000];
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    for (const size of sizes) {
      const results = new Map<string, ObjectsResult>();
      for (const contender of contenders) {
        context.log(`idle in-process: ${runtime} ${contender} ${size}`);
        const job = { variant: variantOf(contender), count: size };
        results.set(
          contender,
          await objectsOf(runtime, job),
        );
      }
      const floor = results.get("floor")!;
      for (const contender of contenders) {
        const r = results.get(contender)!;
        rows.push([
          runtime,
          count(size),
          contender,
          count(r.heapBytesPerStream),
          ratio(r.heapBytesPerStream, floor.heapBytesPerStream),
          vsShapeFloor(results, contender, (x) => x.heapBytesPerStream),
          count(r.heapBytesPerStream - floor.heapBytesPerStream),
          count(r.rssBytesPerStream),
          ratio(r.rssBytesPerStream, floor.rssBytesPerStream),
        ]);
      }
    }
  }
  const breakdown = context.quick ? "" : await objectCounts(context);
  const runtimeOwn = context.quick ? "" : await runtimeObjects(context);
  const after = await load();
  return [
    "#### In one process, without sockets",
    "",
    table(
      [
        "runtime",
        "streams",
        "contender",
        "heap B/stream",
        "vs floor",
        "vs shape floor",
        "over floor B",
        "RSS B/stream",
        "vs floor",
      ],
      rows,
    ),
    "",
    "`bench/idle_objects.ts`: the streams are created in one process and their bodies read by a " +
    "JS reader (one pending read each, as a server holds), with the same 1 s heartbeat; JS heap " +
    "(Bun: `heapStats().heapSize + extraMemorySize`; Deno, Node: `heapUsed`), the least of " +
    "five forced GCs 50 ms apart (the fewest streams caught mid-heartbeat), and RSS after them, " +
    "against the same process before the streams (after a 200-stream warm-up and " +
    "with the `Request`s already made). No socket, no runtime HTTP state: this is the part a " +
    "library controls, so the ratios are stricter than the server's.",
    "",
    footer(context.machine, before, after),
    breakdown,
    runtimeOwn,
  ].join("\n");
}

/**
 * What some of the runtime's own objects cost (heap B each, 10 000 of them
 * in one process), where a handler shape asks for them: the `AbortController`
 * behind `stream.signal` (returns), a promise and its resolver (a sleep, the
 * `closed` promise), a `ReadableStream` in a `Response` (every stream), and the
 * request's `Headers`, made when one header is read (a channel that replays
 * reads Last-Event-ID): the `closed` shape with and without reading one.
 */
async function runtimeObjects(context: Context): Promise<string> {
  const parts: [string, string[]][] = [
    ["`AbortController` + its signal", ["abort-controller"]],
    ["promise + resolver", ["promise+resolver"]],
    ["`ReadableStream` in a `Response`", ["readable+response"]],
    ["one request header read (`Headers`)", ["edge-closed-reads-header", "edge-closed"]],
    ["a channel's Last-Event-ID read", ["edge-channel", "edge-channel-no-history"]],
  ];
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    const heap = new Map<string, number>();
    for (const variant of new Set(parts.flatMap(([, variants]) => variants))) {
      context.log(`idle runtime objects: ${runtime} ${variant}`);
      const job = { variant, count: 10_000 };
      heap.set(variant, (await objectsOf(runtime, job)).heapBytesPerStream);
    }
    rows.push([
      runtime,
      ...parts.map(([, [variant, without]]) =>
        count(heap.get(variant)! - (without === undefined ? 0 : heap.get(without)!))
      ),
    ]);
  }
  return [
    "#### The runtime's own objects, heap B each",
    "",
    table(["runtime", ...parts.map(([label]) => label)], rows),
    "",
    "10 000 of each in one process (`bench/idle_objects.ts`); the last two are differences " +
    "between two stream variants (the `closed` shape reading one header or not; a channel " +
    "with history, which reads Last-Event-ID, or without).",
    "",
  ].join("\n");
}

/** One run of bench/idle_objects.ts on `runtime` (a process of its own). */
function objectsOf(
  runtime: Runtime,
  job: { variant: string; count: number; counts?: boolean },
  ms = 120_000,
): Promise<ObjectsResult> {
  return runJson<ObjectsResult>([...objectsArgv(runtime), JSON.stringify(job)], ms);
}

/** The variants counted: the plain floor, then each shape's floor and edge-sse stream. */
const COUNTED = ["floor", ...SHAPES.flatMap((shape) => [`floor-${shape}`, `edge-${shape}`])];

/**
 * Objects per stream by type (2 000 streams): the plain floor's, then for
 * each handler shape what an edge-sse stream holds beyond the same handler
 * on a bare stream (edge-sse minus the shape's floor).
 */
async function objectCounts(context: Context): Promise<string> {
  const sections: string[] = [];
  for (const runtime of context.runtimes) {
    const results = new Map<string, ObjectsResult>();
    for (const variant of COUNTED) {
      context.log(`idle objects: ${runtime} ${variant}`);
      const job = { variant, count: 2000, counts: true };
      results.set(
        variant,
        await objectsOf(runtime, job, 300_000),
      );
    }
    const types = new Set<string>();
    for (const r of results.values()) for (const o of r.objects!) types.add(o.type);
    const of = (variant: string, type: string) =>
      results.get(variant)!.objects!.find((entry) => entry.type === type) ??
        { perStream: 0, bytesPerStream: 0 };
    const show = (perStream: number, bytes: number) => {
      if (Math.abs(perStream) < 0.05 && Math.abs(bytes) < 4) return "";
      const n = (perStream > 0 ? "+" : "") + fixed(perStream, 2);
      return runtime === "bun" ? n : `${n} (${bytes > 0 ? "+" : ""}${count(bytes)} B)`;
    };
    const rows = [...types]
      .map((type) => [
        type,
        show(of("floor", type).perStream, of("floor", type).bytesPerStream),
        ...SHAPES.map((shape) => {
          const edge = of(`edge-${shape}`, type);
          const floor = of(`floor-${shape}`, type);
          return show(
            edge.perStream - floor.perStream,
            edge.bytesPerStream - floor.bytesPerStream,
          );
        }),
      ])
      .filter((row) => row.slice(2).some((c) => c !== ""));
    const heap = (variant: string) => count(results.get(variant)!.heapBytesPerStream);
    sections.push(
      `${runtime}, heap B per stream: floor ${heap("floor")}; ` +
        SHAPES.map((shape) =>
          `${shape} ${heap(`edge-${shape}`)} (its floor ${heap(`floor-${shape}`)})`
        )
          .join(", "),
      "",
      table(
        ["object type", "floor (itself)", ...SHAPES.map((shape) => `${shape}: edge − its floor`)],
        rows.slice(0, 40),
      ),
      "",
    );
  }
  return [
    "",
    "#### Objects per stream (2 000 streams, in one process)",
    "",
    "Bun: `heapStats().objectTypeCounts` (counts only); Deno and Node: a V8 heap snapshot " +
    "(count, and self size in bytes), after minus before, divided by the streams. First the " +
    "plain floor's own objects; then, per handler shape, what an edge-sse stream holds beyond " +
    "the same handler on a bare stream (negative: the shape's floor holds more of that type).",
    "",
    ...sections,
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
  const path = scenarioPath(contender);
  const sources = connections > 5000 ? 8 : undefined;
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

    const cpuAtStart = await cpuSeconds(server.pid);
    const startedAt = performance.now();
    const client = startClient({
      mode: "idle",
      port: server.port,
      path,
      count: connections,
      sources,
    });
    try {
      try {
        await client.next(OPEN_TIMEOUT);
      } catch (error) {
        // Say how far it got: the streams the server holds, and how busy it was.
        const stats = await server.get<Stats>("/stats");
        const busy = (await cpuSeconds(server.pid) - cpuAtStart) /
          ((performance.now() - startedAt) / 1000);
        throw new Error(
          `${openStreams(contender, stats)} of ${count(connections)} open after ` +
            `${OPEN_TIMEOUT / 1000} s, server at ${Math.round(busy * 100)} % CPU`,
          { cause: error },
        );
      }
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

/**
 * Streams the server holds, as its stats count them for `contender`: edge-sse's
 * scheduler tasks (one per stream, its heartbeat's), Hono's streams inside
 * `stream.sleep()`, the floor's live `setInterval`s.
 */
function openStreams(contender: string, stats: Stats): string {
  if (contender.startsWith("edge-sse")) return count(stats.pending);
  if (contender === "hono") return count(stats.honoSleeping);
  return count(stats.floorTimers);
}

function timers(contender: string, stats: Stats): string {
  const streams = openStreams(contender, stats);
  return contender.startsWith("edge-sse") ? `${stats.timers} (${streams} tasks)` : streams;
}
