// The server of the fan-out over sockets (bench/fanout.ts, Node): one
// node:http process per contender, its subscribers on raw-socket clients.
//
//   node fanout-server.mjs <contender>
//
//   GET /sub                   a subscriber's stream
//   GET /publish?round=<n>     broadcasts the round's event to every subscriber, then 204
//   GET /count                 how many subscribers are attached
//   GET /cpu                   the process's CPU time (user + system, µs) and GC time (ms) so far
//
// Prints one JSON line `{"port":..,"pid":..}` once it listens.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import process from "node:process";
import { PerformanceObserver } from "node:perf_hooks";
import { createChannel, createSession } from "better-sse";
import { getRequestListener } from "@hono/node-server";
import { Channel } from "../src/channel/channel.ts";
import { formatEvent } from "../src/format.ts";
import { sse as webSse } from "../src/sse.ts";
import { sse as nodeSse } from "../src/node/sse.ts";

/** The contenders of the fan-out over sockets. */
export type FanoutContender = "floor" | "better-sse" | "edge-sse-node" | "edge-sse-hono";

/** The same event for every contender: `event: tick`, the round and 100 bytes of text. */
function tick(round: string): { event: string; data: { round: string; text: string } } {
  return { event: "tick", data: { round: `@${round}@`, text: "x".repeat(100) } };
}

interface Contender {
  subscribe(req: IncomingMessage, res: ServerResponse): void;
  publish(round: string): void;
  count(): number;
}

function floor(): Contender {
  const subscribers = new Set<ServerResponse>();
  return {
    subscribe(_req, res) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(":\n\n");
      subscribers.add(res);
      res.on("close", () => subscribers.delete(res));
    },
    publish(round) {
      const text = formatEvent(tick(round));
      for (const res of subscribers) res.write(text);
    },
    count: () => subscribers.size,
  };
}

function betterSse(): Contender {
  const channel = createChannel();
  return {
    async subscribe(req, res) {
      // keepAlive: null, as edge-sse's `heartbeat: false` here.
      const session = await createSession(req, res, { keepAlive: null });
      channel.register(session);
    },
    publish(round) {
      const { event, data } = tick(round);
      channel.broadcast(data, event);
    },
    count: () => channel.sessionCount,
  };
}

function edgeNode(): Contender {
  const channel = new Channel({ history: false, ids: false });
  let count = 0;
  return {
    subscribe(req, res) {
      nodeSse(req, res, async (stream) => {
        count++;
        await channel.subscribe(stream);
        count--;
      }, { heartbeat: false });
    },
    publish: (round) => void channel.publish(tick(round)),
    count: () => count,
  };
}

function edgeHono(): Contender {
  const channel = new Channel({ history: false, ids: false });
  let count = 0;
  const listener = getRequestListener((request: Request) =>
    webSse(request, async (stream) => {
      count++;
      await channel.subscribe(stream);
      count--;
    }, { heartbeat: false })
  );
  return {
    subscribe: (req, res) => void listener(req, res),
    publish: (round) => void channel.publish(tick(round)),
    count: () => count,
  };
}

const CONTENDERS: Record<FanoutContender, () => Contender> = {
  floor,
  "better-sse": betterSse,
  "edge-sse-node": edgeNode,
  "edge-sse-hono": edgeHono,
};

/** Milliseconds spent in garbage collection so far. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ["gc"] });

{
  const name = process.argv[2] as FanoutContender;
  if (!(name in CONTENDERS)) throw new Error(`unknown contender ${name}`);
  const contender = CONTENDERS[name]();
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/sub") return contender.subscribe(req, res);
    if (url.startsWith("/publish?round=")) {
      contender.publish(url.slice("/publish?round=".length));
      res.writeHead(204).end();
    } else if (url === "/cpu") {
      const { user, system } = process.cpuUsage();
      const body = JSON.stringify({ micros: user + system, gcMs });
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    } else if (url === "/count") {
      const body = JSON.stringify({ count: contender.count() });
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    } else res.writeHead(404).end();
  });
  server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
    const address = server.address() as { port: number };
    console.log(JSON.stringify({ port: address.port, pid: process.pid }));
  });
}

// Exit (and write a --cpu-prof profile) when the orchestrator stops the server.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
