// Shutdown under load: hundreds of streams sending numbered events, then the
// `shutdown` signal. Time until each body ended at the client, and events
// whose send() resolved true on the server but never arrived (must be 0).

import { type Runtime, startServer } from "../bench/proc.ts";
import { count, fixed, footer, load, percentile, table } from "../bench/report.ts";
import { Conn, delay } from "./conn.ts";
import type { SoakContext } from "./main.ts";

interface Outcome {
  streams: number;
  acked: number;
  lost: number;
  notEnded: number;
  drains: number[];
  unhandled: number;
  shutdownReasons: number;
}

async function round(runtime: Runtime, streams: number): Promise<Outcome> {
  const server = await startServer(runtime, "soak/server.ts");
  try {
    const conns: Conn[] = [];
    for (let i = 0; i < streams; i++) {
      conns.push(await Conn.open(server.port, `/load?id=${i}`, { keepText: true }));
    }
    const reading = conns.map((conn) => conn.readToEnd());
    await delay(2000);
    const { at } = await server.get<{ at: number }>("/shutdown");
    await Promise.race([Promise.all(reading), delay(15_000)]);
    const acked = await server.get<Record<string, number>>("/acked");
    let lost = 0;
    let ackedTotal = 0;
    const drains: number[] = [];
    for (let i = 0; i < streams; i++) {
      const conn = conns[i];
      const last = acked[String(i)] ?? 0;
      ackedTotal += last;
      const received = new Set(
        [...conn.text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1])),
      );
      for (let n = 1; n <= last; n++) if (!received.has(n)) lost++;
      if (conn.end === "body" || conn.end === "eof") drains.push(conn.endedAt - at);
      conn.close();
    }
    const stats = await server.get<{ unhandled: number; reasons: Record<string, number> }>(
      "/stats",
    );
    return {
      streams,
      acked: ackedTotal,
      lost,
      notEnded: streams - drains.length,
      drains,
      unhandled: stats.unhandled,
      shutdownReasons: stats.reasons.shutdown ?? 0,
    };
  } finally {
    await server.stop();
  }
}

/** The shutdown section. */
export async function shutdown(context: SoakContext): Promise<string> {
  const streams = context.quick ? 50 : 300;
  const before = await load();
  const rows: string[][] = [];
  for (const runtime of context.runtimes) {
    context.log(`shutdown: ${runtime} ${streams}`);
    const r = await round(runtime, streams);
    if (r.lost > 0) context.broken(`shutdown ${runtime}: ${r.lost} acked events lost`);
    if (r.notEnded > 0) context.broken(`shutdown ${runtime}: ${r.notEnded} bodies did not end`);
    if (r.unhandled > 0) context.broken(`shutdown ${runtime}: ${r.unhandled} unhandled rejections`);
    rows.push([
      runtime,
      count(r.streams),
      count(r.acked),
      count(r.lost),
      count(r.notEnded),
      count(r.shutdownReasons),
      fixed(percentile(r.drains, 50)),
      fixed(percentile(r.drains, 99)),
      fixed(Math.max(...r.drains)),
      count(r.unhandled),
    ]);
  }
  const after = await load();
  return [
    "### Shutdown under load",
    "",
    "`npm run soak -- shutdown`",
    "",
    table([
      "runtime",
      "streams",
      "events acked",
      "acked, not received",
      "bodies not ended",
      'reason "shutdown"',
      "drain p50 ms",
      "drain p99 ms",
      "max ms",
      "unhandled rejections",
    ], rows),
    "",
    "Every stream runs `while (await send({ id: ++n, data })) { ... await sleep(10) every 4 }` " +
    "(256 B events) with `shutdown: signal`; after 2 s the server aborts the signal. Acked: " +
    "events whose `send()` resolved `true`; each must reach the client (ids checked one by " +
    "one). Drain: from the abort to the end of each body at the client (wall clock, same " +
    "machine).",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
