// Slow and stalled readers against three producers (awaited sends, un-awaited
// sends closing on overflow, un-awaited sends dropping on overflow), with
// ASCII and non-ASCII text: the peak queue in UTF-8 bytes, the heap and RSS
// held, when the server noticed, and whether it let the connection go.

import { type Runtime, startServer } from "../bench/proc.ts";
import { count, fixed, footer, load, table } from "../bench/report.ts";
import { Conn, delay, serverSocket } from "./conn.ts";
import type { SoakContext } from "./main.ts";
import type { ReaderRecord } from "./stats.ts";

interface Scenario {
  reader: "slow" | "stalled";
  producer: "awaited" | "close" | "drop";
  text: "ascii" | "utf8";
}

interface ServerStats {
  heap: number;
  rss: number;
  unhandled: number;
  readers: Record<string, ReaderRecord>;
}

const SLOW = { bytes: 16 * 1024, everyMs: 100 };
/** When the heap is read: while the producer runs, before a 2 s stall timeout can fire. */
const PROBE_MS = 1500;

function scenarios(quick: boolean): Scenario[] {
  if (quick) {
    return [
      { reader: "stalled", producer: "awaited", text: "utf8" },
      { reader: "stalled", producer: "drop", text: "ascii" },
      { reader: "slow", producer: "close", text: "utf8" },
    ];
  }
  const all: Scenario[] = [];
  for (const reader of ["slow", "stalled"] as const) {
    for (const producer of ["awaited", "close", "drop"] as const) {
      for (const text of ["ascii", "utf8"] as const) all.push({ reader, producer, text });
    }
  }
  return all;
}

async function measure(runtime: Runtime, scenario: Scenario, seconds: number) {
  const server = await startServer(runtime, "soak/server.ts");
  try {
    const base = await server.get<ServerStats>("/stats?gc=1");
    const id = "r";
    const opened = Date.now();
    const conn = await Conn.open(
      server.port,
      `/reader?producer=${scenario.producer}&text=${scenario.text}&seconds=${seconds}&id=${id}`,
    );
    if (scenario.reader === "slow") conn.readToEnd(SLOW);
    // Memory while the producer runs, before a stall can be detected (stallTimeout 2 s).
    await delay(PROBE_MS);
    const held = await server.get<ServerStats>("/stats?gc=1");
    await delay(Math.max(0, seconds * 1000 - (Date.now() - opened)));
    let record = (await server.get<ServerStats>("/stats")).readers[id];
    // A stalled stream that is still open gets a little longer to be noticed.
    for (let i = 0; i < 10 && record.reason === null && scenario.reader === "stalled"; i++) {
      await delay(500);
      record = (await server.get<ServerStats>("/stats")).readers[id];
    }
    if (record.endedAt > 0) await delay(Math.max(0, record.endedAt + 1000 - Date.now()));
    const socket = await serverSocket(server.port, conn.localPort);
    conn.close();
    return {
      record,
      heapKiB: (held.heap - base.heap) / 1024,
      rssKiB: (held.rss - base.rss) / 1024,
      socket: record.endedAt > 0 ? socket : `${socket} (stream open)`,
      unhandled: held.unhandled,
    };
  } finally {
    await server.stop();
  }
}

/** The slow and stalled readers section. */
export async function readers(context: SoakContext): Promise<string> {
  const seconds = context.quick ? 2 : 3;
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    for (const scenario of scenarios(context.quick)) {
      context.log(`readers: ${runtime} ${scenario.reader} ${scenario.producer} ${scenario.text}`);
      const r = await measure(runtime, scenario, seconds);
      if (r.unhandled > 0) {
        context.broken(`readers ${runtime}: ${r.unhandled} unhandled rejections`);
      }
      const detected = r.record.endedAt > 0
        ? fixed((r.record.endedAt - r.record.startedAt) / 1000, 1)
        : "–";
      rows.push([
        runtime,
        scenario.reader,
        scenario.producer === "awaited" ? "awaited" : `un-awaited/${scenario.producer}`,
        scenario.text,
        count(r.record.peakQueueBytes / 1024),
        count(r.heapKiB),
        count(r.rssKiB),
        r.record.reason ?? "open",
        detected,
        count(r.record.dropped),
        r.socket,
      ]);
    }
  }
  const after = await load();
  return [
    "### Slow and stalled readers",
    "",
    "`npm run soak -- readers`",
    "",
    table([
      "runtime",
      "reader",
      "producer",
      "text",
      "peak queue KiB",
      "heap held KiB",
      "RSS KiB",
      "ended",
      "after s",
      "dropped",
      "server socket 1 s after the end",
    ], rows),
    "",
    `Each producer sends 1 024-character events (ASCII: 1 KiB; "€": 3 KiB of UTF-8) for ` +
    `${seconds} s: awaited (\`while (await send())\`), or un-awaited bursts of 64 every ` +
    'millisecond with `onSlowConsumer` "close" (default) or "drop"; default `highWaterMark` ' +
    "(64 KiB) and `maxBuffered` (1 MiB), 1 s heartbeat (so `stallTimeout` is 2 s). Slow " +
    `reader: ${SLOW.bytes / 1024} KiB every ${SLOW.everyMs} ms; stalled: never reads. Peak ` +
    "queue: the largest `bufferedAmount` seen by the producer, in UTF-8 bytes. Heap and RSS " +
    `held: after a forced GC ${PROBE_MS / 1000} s into the stream (the producer running, no ` +
    "stall detected yet), against the idle server. After " +
    "s: from the request to the stream's end. Server socket: `ss` state of the server's end " +
    "of the connection (gone, or still holding unsent bytes).",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
