// The client of the fan-out over sockets (bench/fanout.ts): `count` raw
// node:net subscribers of bench/fanout_server.ts, then rounds of one
// broadcast each, timed from the publish request until the last subscriber
// has the round's event.
//
//   node fanout-client.mjs '{"port":1234,"count":5000,"rounds":15,"warmup":2}'
//
// Prints one JSON line: `{"deliveredMs":[...],"openMs":..,"cpuMs":..,"gcMs":..}`
// (the server's CPU and garbage-collection time per broadcast).

import { connect, type Socket } from "node:net";

interface Job {
  port: number;
  count: number;
  rounds: number;
  warmup: number;
}

const job: Job = JSON.parse(process.argv[2]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const REQUEST = "GET /sub HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n";

/** The marker of the round being waited for (`@000012@`), and how many subscribers lack it. */
let marker = "\0";
let missing = 0;
let allArrived: () => void = () => {};

/** One subscriber: looks for the marker in what it receives (a marker may span two reads). */
function subscribe(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let tail = "";
    let seen = "";
    let opened = false;
    const socket = connect({ port: job.port, host: "127.0.0.1", noDelay: true });
    socket.on("connect", () => socket.write(REQUEST));
    socket.on("data", (buffer: Buffer) => {
      if (!opened) {
        opened = true;
        resolve(socket);
      }
      const text = tail + buffer.toString("latin1");
      tail = text.slice(-16);
      if (seen !== marker && text.includes(marker)) {
        seen = marker;
        if (--missing === 0) allArrived();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      if (!opened) reject(new Error("closed before the first byte"));
    });
  });
}

/** GETs `path` on a keep-alive control connection; resolves with the body. */
function control(): (path: string) => Promise<string> {
  const socket = connect({ port: job.port, host: "127.0.0.1", noDelay: true });
  let received = "";
  let waiting: ((body: string) => void) | null = null;
  socket.on("data", (buffer: Buffer) => {
    received += buffer.toString("latin1");
    const end = received.indexOf("\r\n\r\n");
    if (end < 0 || waiting === null) return;
    const length = Number(/content-length: (\d+)/i.exec(received.slice(0, end))?.[1] ?? 0);
    if (received.length < end + 4 + length) return;
    const body = received.slice(end + 4, end + 4 + length);
    received = received.slice(end + 4 + length);
    const done = waiting;
    waiting = null;
    done(body);
  });
  return (path) =>
    new Promise((resolve) => {
      waiting = resolve;
      socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    });
}

async function main(): Promise<void> {
  const started = performance.now();
  const sockets: Socket[] = [];
  for (let start = 0; start < job.count; start += 200) {
    const batch: Promise<Socket>[] = [];
    for (let i = start; i < Math.min(job.count, start + 200); i++) batch.push(subscribe());
    sockets.push(...await Promise.all(batch));
  }
  const get = control();
  while (JSON.parse(await get("/count")).count < job.count) await sleep(20);
  const openMs = performance.now() - started;
  const deliveredMs: number[] = [];
  let before = { micros: 0, gcMs: 0 };
  for (let round = -job.warmup; round < job.rounds; round++) {
    if (round === 0) before = JSON.parse(await get("/cpu"));
    await sleep(50);
    const id = String(round + 1000).padStart(6, "0");
    marker = `@${id}@`;
    missing = job.count;
    const arrived = new Promise<void>((resolve) => allArrived = resolve);
    const sent = performance.now();
    const published = get(`/publish?round=${id}`);
    await arrived;
    const ms = performance.now() - sent;
    await published;
    if (round >= 0) deliveredMs.push(ms);
  }
  // The server's CPU time per broadcast (the pauses between rounds cost nothing).
  const after = JSON.parse(await get("/cpu"));
  const cpuMs = (after.micros - before.micros) / 1000 / job.rounds;
  const gcMs = (after.gcMs - before.gcMs) / job.rounds;
  console.log(JSON.stringify({ deliveredMs, openMs, cpuMs, gcMs }));
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
