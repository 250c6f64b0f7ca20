// Benchmark 5: time to first byte of a new stream, over a new connection:
// to the response headers and to the handler's first event.

import { type Context, eachStreamContender, label, STREAM_CONTENDERS } from "./context.ts";
import { fixed, footer, load, percentile, ratio, table } from "./report.ts";

interface Output {
  headers: number[];
  body: number[];
  data: number[];
}

/** Runs the time-to-first-byte benchmark; returns its markdown section. */
export async function ttfb(context: Context): Promise<string> {
  const streams = context.quick ? 30 : 300;
  const before = await load();
  const rows: string[][] = [];
  const runs = await eachStreamContender<Output>(context, "ttfb", (contender, port) => ({
    mode: "ttfb",
    port,
    path: `/stream?c=${contender}&mode=ttfb`,
    count: streams,
    warmup: context.quick ? 5 : 20,
  }));
  for (const { runtime, results } of runs) {
    const floorData = percentile(results.get("floor-a")!.data, 50);
    for (const contender of STREAM_CONTENDERS) {
      const { headers, data } = results.get(contender)!;
      rows.push([
        runtime,
        label(contender, true),
        fixed(percentile(headers, 50), 2),
        fixed(percentile(headers, 99), 2),
        fixed(percentile(data, 50), 2),
        fixed(percentile(data, 99), 2),
        ratio(percentile(data, 50), floorData),
      ]);
    }
  }
  const after = await load();
  return [
    `### 5. Time to first byte: ${streams} new streams, one after the other`,
    "",
    table(
      [
        "runtime",
        "contender",
        "headers p50 ms",
        "headers p99 ms",
        "first event p50 ms",
        "first event p99 ms",
        "vs floor",
      ],
      rows,
    ),
    "",
    "From `connect()` on a new connection to the response headers, and to the first " +
    "`data:` line the handler sent (edge-sse's opening comment comes before it).",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
