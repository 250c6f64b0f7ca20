// Where an idle stream's memory goes, in one process and without sockets:
// `count` quiet streams of one variant are created and their bodies read (a
// pending read each, as a server's consumer holds), then the JS heap and the
// RSS grown per stream are printed, and with `counts` the objects per stream
// (Bun: `heapStats()` from bun:jsc; Deno and Node: a V8 heap snapshot).
//
//   deno run -A --v8-flags=--expose-gc bench/idle_objects.ts '{"variant":"edge-closed","count":10000}'
//
// Run by bench/idle.ts on each runtime, one process per variant and size.

import process from "node:process";
import { Channel } from "../src/channel/channel.ts";
import { scheduler } from "../src/scheduler.ts";
import { sse } from "../src/sse.ts";
import { idleFloor } from "./floor.ts";
import { honoApp } from "./hono_app.ts";
import { idleStream, type Shape, SHAPES } from "./shapes.ts";

interface Job {
  variant: string;
  count: number;
  /** Also count objects per stream (slow on V8: two heap snapshots). */
  counts?: boolean;
  heartbeat?: number;
}

/** One line of output. */
export interface ObjectsResult {
  variant: string;
  count: number;
  heapBytesPerStream: number;
  rssBytesPerStream: number;
  /** Objects per stream by type, largest first (with `counts`). */
  objects?: { type: string; perStream: number; bytesPerStream: number }[];
}

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const isDeno = globals.Deno !== undefined;
const isBun = globals.Bun !== undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const noHistory = new Channel({ history: false });

/** The per-stream pieces of an edge-sse stream on their own, and whole streams. */
const VARIANTS: Record<string, (request: Request, heartbeat: number) => unknown> = {
  /** A bare ReadableStream + one setInterval heartbeat + Response (bench/floor.ts). */
  floor: (request, heartbeat) => idleFloor(request, heartbeat, null, isDeno),
  /** The same handler shapes on a bare stream (bench/floor.ts). */
  ...Object.fromEntries(
    SHAPES.map((shape) => [
      `floor-${shape}`,
      (request: Request, heartbeat: number) => idleFloor(request, heartbeat, shape, isDeno),
    ]),
  ),
  hono: (_request, heartbeat) =>
    honoApp.fetch(new Request(`http://localhost/stream?c=hono&mode=idle&hb=${heartbeat}`)),
  ...Object.fromEntries(
    SHAPES.map((
      shape,
    ) => [
      `edge-${shape}`,
      (request: Request, hb: number) => idleStream(request, shape as Shape, hb),
    ]),
  ),
  /** The channel shape on a channel without history: it never reads Last-Event-ID. */
  "edge-channel-no-history": (request, heartbeat) =>
    sse(request, (stream) => noHistory.subscribe(stream), { heartbeat }),
  /**
   * The `closed` shape reading one request header (as a channel that replays
   * reads Last-Event-ID): what the runtime's own `Headers` costs per request.
   */
  "edge-closed-reads-header": (request, heartbeat) =>
    sse(request, (stream) => {
      stream.request.headers.get("last-event-id");
      return stream.closed;
    }, { heartbeat }),
  /** Components, each alone. */
  "abort-controller": () => {
    const controller = new AbortController();
    controller.signal; // the getter materialises the signal on some runtimes
    return controller;
  },
  "promise+resolver": () => {
    let resolve!: (value: unknown) => void;
    const promise = new Promise((r) => resolve = r);
    return { promise, resolve };
  },
  "scheduler-task": (_request, heartbeat) => {
    const task = { entry: undefined as unknown };
    const run = () => task.entry = scheduler.schedule(heartbeat, run);
    run();
    return task;
  },
  /** A ReadableStream with start/pull/cancel closures, highWaterMark 0, in a Response. */
  "readable+response": () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array([58, 10, 10]));
        },
        pull() {},
        cancel() {},
      }, { highWaterMark: 0 }),
    ),
};

function collect(): void {
  if (isBun) globals.Bun.gc(true);
  else globals.gc();
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collect();
    await sleep(50);
  }
}

/**
 * The least heap of a few forced collections, 50 ms apart: with 50 000
 * streams a 1 s heartbeat keeps some of them mid-write at any moment (their
 * promises and reactions in flight, Node: 3 more promises per stream in one
 * census than at 10 000), and the least of a few readings is the heap with
 * the fewest in flight, for the floor and edge-sse alike.
 */
async function quietHeapBytes(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < HEAP_READINGS; i++) {
    collect();
    least = Math.min(least, await heapBytes());
    await sleep(50);
  }
  return least;
}
const HEAP_READINGS = 5;

async function heapBytes(): Promise<number> {
  if (isBun) {
    const { heapStats } = await import("bun:jsc");
    return heapStats().heapSize + heapStats().extraMemorySize;
  }
  return process.memoryUsage().heapUsed;
}

/** A consumer like a server's: reads every chunk, one pending read at a time. */
function consume(response: Response): ReadableStreamDefaultReader<Uint8Array> {
  const reader = response.body!.getReader();
  const pump = (result: ReadableStreamReadResult<Uint8Array>): unknown =>
    result.done ? undefined : reader.read().then(pump, () => {});
  reader.read().then(pump, () => {});
  return reader;
}

/** Object counts by type: Bun's `heapStats()`, or a V8 heap snapshot. */
async function census(): Promise<Map<string, { count: number; bytes: number }>> {
  const result = new Map<string, { count: number; bytes: number }>();
  if (isBun) {
    const { heapStats } = await import("bun:jsc");
    for (const [type, count] of Object.entries(heapStats().objectTypeCounts)) {
      result.set(type, { count: count as number, bytes: 0 });
    }
    return result;
  }
  const v8 = await import("node:v8");
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of v8.getHeapSnapshot()) {
    text += typeof chunk === "string"
      ? chunk
      : decoder.decode(chunk as Uint8Array, { stream: true });
  }
  const snapshot = JSON.parse(text);
  const fields: string[] = snapshot.snapshot.meta.node_fields;
  const types: string[] = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const nodes: number[] = snapshot.nodes;
  const strings: string[] = snapshot.strings;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // "system / Context / scope @1234": one closure scope; the id differs per function.
    const name = strings[nodes[i + nameAt]].replace(/ @\d+$/, "");
    const key = type === "object" || type === "closure" || type === "native"
      ? `${type}:${name}`
      : type;
    const entry = result.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    result.set(key, entry);
  }
  return result;
}

async function main(): Promise<void> {
  const job: Job = JSON.parse(process.argv[process.argv.length - 1]);
  const make = VARIANTS[job.variant];
  if (make === undefined) throw new Error(`unknown variant ${job.variant}`);
  const heartbeat = job.heartbeat ?? 1000;
  const hold = (value: unknown) => value instanceof Response ? consume(value) : value;
  // Warm-up: compile and fill caches, then let it all go.
  let warm: unknown[] = [];
  for (let i = 0; i < 200; i++) warm.push(hold(make(new Request("http://localhost/"), heartbeat)));
  await sleep(heartbeat * 1.5);
  for (const value of warm) {
    if (value && typeof (value as ReadableStreamDefaultReader).cancel === "function") {
      (value as ReadableStreamDefaultReader).cancel().catch(() => {});
    }
  }
  warm = [];
  const requests = Array.from({ length: job.count }, () => new Request("http://localhost/"));
  await sleep(heartbeat);
  await settle();
  const before = { heap: await quietHeapBytes(), rss: process.memoryUsage().rss };
  const objectsBefore = job.counts ? await census() : null;
  const held: unknown[] = new Array(job.count);
  for (let i = 0; i < job.count; i++) held[i] = hold(make(requests[i], heartbeat));
  // Every heartbeat (or loop turn) has run at least twice.
  await sleep(heartbeat * 2.5);
  await settle();
  const after = { heap: await quietHeapBytes(), rss: process.memoryUsage().rss };
  const result: ObjectsResult = {
    variant: job.variant,
    count: job.count,
    heapBytesPerStream: (after.heap - before.heap) / job.count,
    rssBytesPerStream: (after.rss - before.rss) / job.count,
  };
  if (objectsBefore) {
    const objectsAfter = await census();
    result.objects = [...objectsAfter]
      .map(([type, { count, bytes }]) => ({
        type,
        perStream: (count - (objectsBefore.get(type)?.count ?? 0)) / job.count,
        bytesPerStream: (bytes - (objectsBefore.get(type)?.bytes ?? 0)) / job.count,
      }))
      .filter((entry) => Math.abs(entry.perStream) >= 0.05)
      .sort((a, b) => b.bytesPerStream - a.bytesPerStream || b.perStream - a.perStream);
  }
  console.log(JSON.stringify(result));
  if (held.length !== job.count || requests.length !== job.count) throw new Error("unreachable");
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
