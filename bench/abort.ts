// Benchmark 3: how long after the client goes away the handler learns it
// (edge-sse: `stream.signal`; hono: `stream.onAbort`; floor: the body's
// `cancel()` or `request.signal`), on quiet streams with a 1 s heartbeat.

import { type Context, eachStreamContender, label, STREAM_CONTENDERS } from "./context.ts";
import { count, fixed, footer, load, percentile, table } from "./report.ts";

interface Output {
  latencies: number[];
  missing: number;
  rtt: number;
}

const HEARTBEAT = 1000;

/** Runs the abort-detection benchmark; returns its markdown section. */
export async function abort(context: Context): Promise<string> {
  const aborts = context.quick ? 20 : 100;
  // Long enough for a contender that only notices on its next heartbeat write.
  const grace = context.quick ? HEARTBEAT : HEARTBEAT * 2.5;
  const before = await load();
  const rows: string[][] = [];
  const runs = await eachStreamContender<Output>(context, "abort", (contender, port) => ({
    mode: "abort",
    port,
    path: `/stream?c=${contender}&mode=abort&hb=${HEARTBEAT}`,
    count: aborts,
    gap: context.quick ? 10 : 20,
    grace,
  }));
  for (const { runtime, results } of runs) {
    const floorP50 = percentile(results.get("floor-a")!.latencies, 50);
    for (const contender of STREAM_CONTENDERS) {
      const { latencies, missing } = results.get(contender)!;
      const p50 = percentile(latencies, 50);
      rows.push([
        runtime,
        label(contender, true),
        fixed(p50, 2),
        fixed(percentile(latencies, 99), 2),
        fixed(Math.max(...latencies), 2),
        floorP50 > 0 ? `${fixed(p50 / floorP50, 2)}×` : "–",
        missing === 0 ? "0" : `**${count(missing)}**`,
      ]);
    }
  }
  const after = await load();
  return [
    `### 3. Abort detection: ${aborts} client aborts per contender`,
    "",
    table(["runtime", "contender", "p50 ms", "p99 ms", "max ms", "p50 vs floor", "missed"], rows),
    "",
    "From the client closing its socket (`socket.destroy()`, Node) to the server's handler " +
    "being told, on wall clocks of two processes aligned over 15 round trips. Missed: aborts " +
    `not seen within ${grace / 1000} s.`,
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
