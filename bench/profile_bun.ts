// Where Bun's time goes per 1 KiB event: the bench server's edge-sse (or
// hono) throughput stream under Bun's sampling profiler, read by the bench
// client (Node, raw sockets) in its own process.
//
//   node_modules/.bin/esbuild bench/client.ts --bundle --platform=node --format=esm \
//     --outfile=.build/bench/client.mjs      (npm run bench builds it too)
//   node_modules/.bin/bun --cpu-prof-md --cpu-prof-dir=.build/profile bench/profile_bun.ts edge-sse 1024
//
// Writes .build/profile/*.md (self and total time per function). Used for
// the "Bun, 1 KiB events" notes in bench/README.md. Without the profiler
// flags it prints events/s and the server's CPU per event; two prototypes
// sit beside edge-sse and hono: `join` (64 formatted events joined, encoded
// with encodeInto, enqueued: the copies edge-sse makes, without its
// bookkeeping) and `direct` (Bun's `type: "direct"` stream, each event
// written as a string, flushed every 64).

import { spawn } from "node:child_process";
import process from "node:process";
import { edge } from "./edge.ts";
import { honoApp } from "./hono_app.ts";
import { parseScenario } from "./scenario.ts";

const contender = process.argv[2] ?? "edge-sse";
const size = Number(process.argv[3] ?? 1024);
const events = Number(process.argv[4] ?? 300_000);

// deno-lint-ignore no-explicit-any
const Bun = (globalThis as any).Bun;
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request: Request, bunServer: unknown) {
    const url = new URL(request.url);
    if (url.pathname === "/gc") {
      Bun.gc(true);
      return Response.json({ collected: true });
    }
    if (url.pathname === "/cpu") {
      const { user, system } = process.cpuUsage();
      return Response.json({ micros: user + system });
    }
    if (contender === "direct" || contender === "join") return prototype(contender);
    const scenario = parseScenario(url);
    return scenario.contender === "hono"
      ? honoApp.fetch(request)
      : edge(request, scenario, bunServer as never);
  },
});

/** The two prototypes: what a chunk of 64 events costs with fewer copies. */
function prototype(kind: "direct" | "join"): Response {
  const data = "x".repeat(size);
  const headers = { "content-type": "text/event-stream" };
  if (kind === "direct") {
    return new Response(
      new ReadableStream({
        type: "direct",
        async pull(controller: { write(s: string): unknown; flush(): unknown; end(): unknown }) {
          controller.write(":\n\n");
          for (let i = 0; i < events; i++) {
            controller.write("data: " + data + "\n\n");
            if (i % 64 === 63) await controller.flush();
          }
          await controller.end();
        },
      } as unknown as UnderlyingDefaultSource<Uint8Array>),
      { headers },
    );
  }
  const encoder = new TextEncoder();
  let sent = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        const parts: string[] = [];
        let total = 0;
        while (sent < events && parts.length < 64) {
          const event = "data: " + data + "\n\n";
          parts.push(event);
          total += event.length;
          sent++;
        }
        const chunk = new Uint8Array(total);
        encoder.encodeInto(parts.join(""), chunk);
        controller.enqueue(chunk);
        if (sent === events) controller.close();
      },
    }, { highWaterMark: 0 }),
    { headers },
  );
}

const path = `/stream?c=${contender}&mode=throughput&n=${events}&size=${size}`;
const job = { mode: "throughput", port: server.port, paths: [path, path] };
const client = spawn("node", [".build/bench/client.mjs", JSON.stringify(job)], {
  stdio: ["ignore", "pipe", "inherit"],
});
let output = "";
client.stdout.on("data", (chunk: Uint8Array) => output += new TextDecoder().decode(chunk));
client.on("exit", (code: number) => {
  for (const line of output.trim().split("\n")) {
    const r = JSON.parse(line);
    console.error(
      `${contender} ${size} B: ${Math.round(r.events / (r.ms / 1000))} events/s, ` +
        `server CPU ${Math.round((r.serverCpuMs * 1e6) / r.events)} ns/event`,
    );
  }
  server.stop(true);
  process.exit(code ?? 0);
});
