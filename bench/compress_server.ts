// The compression benchmark's server: edge-sse on Deno.serve, Bun.serve or
// @hono/node-server (127.0.0.1, port 0), streaming an LLM token stream or the
// demo's metrics, with `compress` on or off (the encoding is whatever the
// client's Accept-Encoding asks for). See bench/compress.ts.
//
//   GET /stream?kind=llm|metrics&compress=0|1&n=200&interval=10&id=K
//   GET /hono?kind=llm&filter=default|sse&n=200&interval=10&id=K
//                     the peer: Hono's streamSSE behind Hono's compress()
//                     middleware (by default, or told to compress event streams)
//   GET /times?id=K   wall-clock ms when each event of stream K was sent
//   GET /sink?kind=llm&encoding=gzip&n=200
//                     in-process: ms from CompressingSink.write() to the
//                     compressed bytes handed on, per event (2 ms apart)
//   GET /memory?encoding=gzip&n=500
//                     KiB of RSS per idle compressor (n sinks, one event each)
//   GET /cpu          the process's CPU time so far (user + system, µs)
//
// Prints one JSON line `{"port":..,"pid":..}` once it listens.

import process from "node:process";
import { sse, type SSEEvent } from "../mod.ts";
import { CompressingSink, type Encoding } from "../src/compress.ts";
import { Hono } from "hono";
import { compress as honoCompress } from "hono/compress";
import { streamSSE } from "hono/streaming";
import { RandomWalk, SERIES } from "../examples/demo/metrics.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

/** Wall-clock milliseconds with sub-millisecond precision (comparable across processes). */
const wallNow = (): number => performance.timeOrigin + performance.now();

const WORDS = (
  "Server-Sent Events stream tokens to the browser as the model writes them: each chunk " +
  "carries a few characters of text inside the same JSON envelope, so most of every " +
  "event repeats the one before it, which is exactly what a compressor flushed per " +
  "event removes. The quick brown fox jumps over the lazy dog, twice, and then explains " +
  "why HTTP/2 lets a page open more than six streams to one origin."
).split(/(?=\s)/);

/** OpenAI-style `chat.completion.chunk` events, as an LLM proxy would relay them. */
function llmEvents(n: number): SSEEvent[] {
  const id = `chatcmpl-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const envelope = (delta: object, finish: string | null) => ({
    id,
    object: "chat.completion.chunk",
    created: 1733000000,
    model: "gpt-4o-mini-2024-07-18",
    system_fingerprint: "fp_0ba0d124f1",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events: SSEEvent[] = [{ data: envelope({ role: "assistant", content: "" }, null) }];
  for (let i = 0; events.length < n - 2; i++) {
    events.push({ data: envelope({ content: WORDS[i % WORDS.length] }, null) });
  }
  events.push({ data: envelope({}, "stop") }, { data: "[DONE]" });
  return events;
}

/** The demo's `/metrics` samples. */
function metricsEvents(n: number): SSEEvent[] {
  const walk = new RandomWalk(SERIES);
  return Array.from({ length: n }, (_, i) => ({ event: "sample", id: i + 1, data: walk.next() }));
}

const times = new Map<string, number[]>();

function stream(request: Request, url: URL, server: unknown): Response {
  const kind = url.searchParams.get("kind") ?? "llm";
  const n = Number(url.searchParams.get("n") ?? 200);
  const interval = Number(url.searchParams.get("interval") ?? 10);
  const id = url.searchParams.get("id") ?? "0";
  const events = kind === "metrics" ? metricsEvents(n) : llmEvents(n);
  const sent: number[] = [];
  times.set(id, sent);
  return sse(request, async (stream) => {
    for (const event of events) {
      sent.push(wallNow());
      if (!await stream.send(event)) return;
      await stream.sleep(interval);
    }
  }, {
    compress: url.searchParams.get("compress") === "1",
    heartbeat: false,
    // deno-lint-ignore no-explicit-any
    server: server as any,
  });
}

function honoStream(c: { req: { url: string } }, url: URL) {
  const kind = url.searchParams.get("kind") ?? "llm";
  const n = Number(url.searchParams.get("n") ?? 200);
  const interval = Number(url.searchParams.get("interval") ?? 10);
  const events = kind === "metrics" ? metricsEvents(n) : llmEvents(n);
  const sent: number[] = [];
  times.set(url.searchParams.get("id") ?? "0", sent);
  // deno-lint-ignore no-explicit-any
  return streamSSE(c as any, async (stream) => {
    for (const event of events) {
      sent.push(wallNow());
      await stream.writeSSE({
        data: typeof event.data === "string" ? event.data : JSON.stringify(event.data),
        event: event.event,
        id: event.id === undefined ? undefined : String(event.id),
      });
      await stream.sleep(interval);
    }
  });
}

/** Hono's compress() as documented, and told to compress event streams too. */
const hono = new Hono();
hono.use("/hono/default", honoCompress());
hono.use("/hono/sse", honoCompress({ contentTypeFilter: /event-stream/ }));
hono.get("/hono/*", (c) => honoStream(c, new URL(c.req.url)));

/** What the compressor adds to each event, alone: write() to bytes handed on. */
async function sinkLatency(url: URL): Promise<Response> {
  const kind = url.searchParams.get("kind") ?? "llm";
  const n = Number(url.searchParams.get("n") ?? 200);
  const encoding = (url.searchParams.get("encoding") ?? "gzip") as Encoding;
  const encoder = new TextEncoder();
  const events = (kind === "metrics" ? metricsEvents(n) : llmEvents(n)).map((event) =>
    encoder.encode(
      `${event.id === undefined ? "" : `id: ${event.id}\n`}data: ${
        typeof event.data === "string" ? event.data : JSON.stringify(event.data)
      }\n\n`,
    )
  );
  let handedOn: (() => void) | undefined;
  const sink = new CompressingSink(
    { demand: () => handedOn?.(), gone: () => {} },
    encoding,
    () => ({
      write: () => true,
      close: () => {},
      abort: () => {},
    }),
  );
  const delays: number[] = [];
  for (const bytes of events) {
    const done = new Promise<void>((resolve) => handedOn = resolve);
    const start = performance.now();
    sink.write(bytes);
    await done;
    delays.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  sink.close();
  return Response.json(delays);
}

function collectGarbage(): void {
  if (globals.Bun) globals.Bun.gc(true);
  else globals.gc?.();
}

const kept: unknown[] = [];

/** Resident memory that one idle compressed stream's compressor holds. */
async function compressorMemory(url: URL): Promise<Response> {
  const n = Number(url.searchParams.get("n") ?? 500);
  const encoding = (url.searchParams.get("encoding") ?? "gzip") as Encoding;
  const bytes = new TextEncoder().encode(`data: ${JSON.stringify(llmEvents(3)[1].data)}\n\n`);
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = process.memoryUsage().rss;
  let pending = n;
  let allWritten!: () => void;
  const written = new Promise<void>((resolve) => allWritten = resolve);
  const sinks = Array.from({ length: n }, () => {
    const sink = new CompressingSink(
      {
        demand: () => --pending === 0 && allWritten(),
        gone: () => {},
      },
      encoding,
      () => ({ write: () => true, close: () => {}, abort: () => {} }),
    );
    sink.write(bytes);
    return sink;
  });
  await written;
  collectGarbage();
  const after = process.memoryUsage().rss;
  // Kept until the process ends: memory they gave back would be reused by the next measurement.
  kept.push(sinks);
  return Response.json({ kib: (after - before) / n / 1024 });
}

function handle(request: Request, server?: unknown): Response | Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/stream":
      return stream(request, url, server);
    case "/hono/default":
    case "/hono/sse":
      return hono.fetch(request);
    case "/sink":
      return sinkLatency(url);
    case "/memory":
      return compressorMemory(url);
    case "/times": {
      const id = url.searchParams.get("id") ?? "0";
      const sent = times.get(id) ?? [];
      times.delete(id);
      return Response.json(sent);
    }
    case "/cpu": {
      const { user, system } = process.cpuUsage();
      return Response.json({ micros: user + system });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}

function ready(port: number): void {
  console.log(JSON.stringify({ port, pid: process.pid }));
}

if (globals.Deno) {
  globals.Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: (addr: { port: number }) => ready(addr.port) },
    (request: Request) => handle(request),
  );
} else if (globals.Bun) {
  const server = globals.Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handle });
  ready(server.port);
} else {
  const { serve } = await import("@hono/node-server");
  serve(
    { fetch: (request: Request) => handle(request), port: 0, hostname: "127.0.0.1" },
    (info: { port: number }) => ready(info.port),
  );
}
