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

/**
 * Reads the ids of a body's events as they arrive, without keeping the body:
 * the ids of a load stream are 1, 2, 3...; `missing` counts the skipped ones.
 */
class IdTracker {
  last = 0;
  missing = 0;
  #line = "";

  push = (piece: Uint8Array): void => {
    let start = 0;
    while (start < piece.length) {
      const end = piece.indexOf(10, start);
      const stop = end < 0 ? piece.length : end;
      // Only the start of a line matters ("id: 123"): keep 16 bytes at most.
      if (this.#line.length < 16) {
        this.#line += String.fromCharCode(...piece.subarray(start, Math.min(stop, start + 16)));
      }
      if (end < 0) return;
      if (this.#line.startsWith("id: ")) {
        const id = Number(this.#line.slice(4));
        if (id > this.last + 1) this.missing += id - this.last - 1;
        if (id > this.last) this.last = id;
      }
      this.#line = "";
      start = end + 1;
    }
  };
}

async function round(runtime: Runtime, streams: number): Promise<Outcome> {
  const server = await startServer(runtime, "soak/server.ts");
  try {
    const conns: Conn[] = [];
    const ids: IdTracker[] = [];
    for (let i = 0; i < streams; i++) {
      const tracker = new IdTracker();
      ids.push(tracker);
      conns.push(await Conn.open(server.port, `/load?id=${i}`, { onBody: tracker.push }));
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
      // Acked ids skipped in the body, and acked ids after the last one received.
      lost += Math.min(ids[i].missing, last) + Math.max(0, last - ids[i].last);
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
    "Every stream runs `while (await send({ id: ++n, data })) if (n % 2 === 0) await " +
    "sleep(10)` (512 B events) with `shutdown: signal`; after 2 s the server aborts the signal. Acked: " +
    "events whose `send()` resolved `true`; each must reach the client (ids checked one by " +
    "one). Drain: from the abort to the end of each body at the client (wall clock, same " +
    "machine).",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
