// The bench client, run by Node in its own process: raw node:net sockets on
// loopback, so the client costs as little as possible and is the same for
// every server runtime. One job per process, given as JSON:
//
//   node client.mjs '{"mode":"throughput","port":1234,"paths":["/stream?..."]}'
//
// Prints one JSON line per result. Modes: throughput, idle (then reads
// `mark`, `beats`, `close` on stdin), abort, ttfb. See bench/README.md.

import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { EventCounter, ResponseReader } from "./http.ts";

interface Job {
  mode: "throughput" | "idle" | "abort" | "ttfb";
  port: number;
  /** throughput: one stream per path, one after the other. */
  paths?: string[];
  /** idle, abort, ttfb: the stream path (abort adds `&id=`). */
  path?: string;
  /** idle: open streams; abort, ttfb: streams measured. */
  count?: number;
  /** abort: ms between two aborts. */
  gap?: number;
  /** abort: ms to wait after the last abort for the server to see it. */
  grace?: number;
  /** ttfb: streams opened first, not measured. */
  warmup?: number;
  /**
   * idle: spread the connections over this many loopback source addresses
   * (127.0.0.2 and up), each with its own ~28 000 ephemeral ports.
   */
  sources?: number;
}

const job: Job = JSON.parse(process.argv[2]);
const print = (value: unknown) => console.log(JSON.stringify(value));
const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`);
}

/** One reusable receive buffer: bytes are counted before the next read, so no copy is kept. */
const RECEIVE_BUFFER = Buffer.alloc(1 << 20);

/** One stream read to its end: events and bytes at the client, timed from its first byte. */
function throughput(path: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const counter = new EventCounter();
    const reader = new ResponseReader((piece) => counter.count(piece));
    const started = performance.now();
    const cpu = process.cpuUsage();
    let first = 0;
    const socket = connect({
      port: job.port,
      host: "127.0.0.1",
      noDelay: true,
      onread: {
        buffer: RECEIVE_BUFFER,
        callback(size: number, buffer: Uint8Array) {
          if (first === 0) first = performance.now();
          reader.push(buffer.subarray(0, size));
          if (!reader.done) return true;
          const end = performance.now();
          socket.destroy();
          resolve({
            status: reader.status,
            events: counter.events,
            bytes: counter.bytes,
            ms: end - first,
            totalMs: end - started,
            clientCpuMs: cpuMs(process.cpuUsage(cpu)),
          });
          return false;
        },
      },
    });
    socket.on("connect", () => send(socket, path));
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`closed before the end of ${path}`)));
  });
}

interface Opened {
  socket: Socket;
  /** performance.now() at connect(), at the headers, at the first body byte, at `data:`. */
  start: number;
  headers: number;
  body: number;
  data: Promise<number>;
}

/** Opens a stream; resolves once the headers and the first body bytes are in. */
function openStream(
  path: string,
  onBody: (piece: Uint8Array) => void = () => {},
  localAddress?: string,
): Promise<Opened> {
  return new Promise((resolve, reject) => {
    let text = "";
    let gotData: (at: number) => void = () => {};
    const data = new Promise<number>((resolve) => gotData = resolve);
    const opened: Opened = {
      socket: undefined!,
      start: performance.now(),
      headers: 0,
      body: 0,
      data,
    };
    const reader = new ResponseReader((piece) => {
      if (opened.body === 0) {
        opened.body = performance.now();
        resolve(opened);
      }
      if (text.length < 256) {
        text += Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString("latin1");
        if (text.includes("data:")) gotData(performance.now());
      }
      onBody(piece);
    });
    const socket = opened.socket = connect({
      port: job.port,
      host: "127.0.0.1",
      noDelay: true,
      localAddress,
    });
    socket.on("connect", () => send(socket, path));
    socket.on("data", (buffer: Buffer) => {
      reader.push(buffer);
      if (opened.headers === 0 && reader.headersDone) opened.headers = performance.now();
      if (reader.done && opened.body === 0) reject(new Error(`empty body from ${path}`));
    });
    socket.on("error", (error) => {
      if (opened.body === 0) reject(error);
    });
    socket.on("close", () => {
      if (opened.body === 0) reject(new Error(`closed before the first byte of ${path}`));
    });
  });
}

/** Opens `count` streams, 200 connects in flight at most. */
async function openMany(
  count: number,
  pathOf: (i: number) => string,
  onBody: (piece: Uint8Array) => void,
): Promise<Socket[]> {
  const sockets: Socket[] = new Array(count);
  const batch = 200;
  for (let start = 0; start < count; start += batch) {
    const opening: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const source = job.sources ? `127.0.0.${2 + (i % job.sources)}` : undefined;
      opening.push(
        openStream(pathOf(i), onBody, source).then((opened) => {
          sockets[i] = opened.socket;
        }),
      );
    }
    await Promise.all(opening);
  }
  return sockets;
}

async function idle(): Promise<void> {
  const counter = new EventCounter();
  const started = performance.now();
  const sockets = await openMany(job.count!, () => job.path!, (piece) => counter.count(piece));
  print({ ready: sockets.length, openMs: performance.now() - started });
  let windowStart = performance.now();
  let windowBeats = counter.events;
  let closed = 0;
  for (const socket of sockets) socket.on("close", () => closed++);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "mark") {
      windowStart = performance.now();
      windowBeats = counter.events;
      print({ marked: true });
    } else if (line === "beats") {
      const seconds = (performance.now() - windowStart) / 1000;
      print({ beatsPerSecond: (counter.events - windowBeats) / seconds, closedByServer: closed });
    } else if (line === "close") {
      for (const socket of sockets) socket.destroy();
      print({ closed: sockets.length });
      return;
    }
  }
}

/** GETs a JSON document over a fresh connection. */
function getJson(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    const reader = new ResponseReader((piece) => parts.push(piece.slice()));
    const socket = connect({ port: job.port, host: "127.0.0.1", noDelay: true });
    socket.on("connect", () => send(socket, path));
    socket.on("data", (buffer: Buffer) => {
      reader.push(buffer);
      if (!reader.done) return;
      socket.destroy();
      resolve(JSON.parse(Buffer.concat(parts).toString("utf8")));
    });
    socket.on("error", reject);
  });
}

/** Server wall clock minus ours, from the fastest of a few round trips. */
async function clockOffset(): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let i = 0; i < 15; i++) {
    const before = wallNow();
    const { now } = await getJson("/clock") as { now: number };
    const after = wallNow();
    if (after - before < best.rtt) {
      best = { offset: now - (before + after) / 2, rtt: after - before };
    }
  }
  return best;
}

async function abort(): Promise<void> {
  const clock = await clockOffset();
  const count = job.count!;
  const sockets = await openMany(count, (i) => `${job.path}&id=${i}`, () => {});
  await sleep(100);
  const abortedAt: number[] = [];
  for (let i = 0; i < count; i++) {
    abortedAt[i] = wallNow();
    sockets[i].destroy();
    await sleep(job.gap!);
  }
  await sleep(job.grace!);
  const { aborts } = await getJson("/stats") as { aborts: Record<string, number> };
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const seen = aborts[String(i)];
    if (seen !== undefined) latencies.push(seen - clock.offset - abortedAt[i]);
  }
  print({ latencies, missing: count - latencies.length, offset: clock.offset, rtt: clock.rtt });
}

async function ttfb(): Promise<void> {
  const headers: number[] = [];
  const body: number[] = [];
  const data: number[] = [];
  const warmup = job.warmup ?? 0;
  for (let i = 0; i < warmup + job.count!; i++) {
    const opened = await openStream(job.path!);
    const dataAt = await opened.data;
    opened.socket.destroy();
    if (i < warmup) continue;
    headers.push(opened.headers - opened.start);
    body.push(opened.body - opened.start);
    data.push(dataAt - opened.start);
  }
  print({ headers, body, data });
}

/** The server's CPU time so far, in ms. */
async function serverCpu(): Promise<number> {
  const { micros } = await getJson("/cpu") as { micros: number };
  return micros / 1000;
}

async function main(): Promise<void> {
  if (job.mode === "throughput") {
    for (const path of job.paths!) {
      // A full collection first: no stream pays for the garbage of the one before.
      await getJson("/gc");
      const before = await serverCpu();
      const result = await throughput(path);
      print({ ...result, serverCpuMs: (await serverCpu()) - before });
    }
  } else if (job.mode === "idle") await idle();
  else if (job.mode === "abort") await abort();
  else await ttfb();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
