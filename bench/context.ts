// What every benchmark gets from the command line.

import { runClient, type Runtime, startServer } from "./proc.ts";

export interface Context {
  /** `--quick`: small counts, one round; proves the benchmarks run, measures little. */
  quick: boolean;
  runtimes: Runtime[];
  /** The machine line printed under every table. */
  machine: string;
  /**
   * `--baseline=<rev>`: the short hash of another git revision whose edge-sse
   * runs beside the checkout's in the same run (the throughput benchmark).
   */
  baseline?: string;
  /** Log progress lines (to stderr). */
  log(message: string): void;
}

/** The contenders, in table order. */
export const CONTENDERS = ["floor-a", "floor-b", "hono", "edge-sse"] as const;
export type Contender = typeof CONTENDERS[number];

/** Contenders on Node's own server only (bench/node_contenders.ts): the throughput benchmark adds them on Node. */
export const NODE_CONTENDERS = ["better-sse", "edge-sse-node"] as const;
export type NodeContender = typeof NODE_CONTENDERS[number];

/** Contenders of the single-stream-shape benchmarks, where (a) and (b) are the same stream. */
export const STREAM_CONTENDERS = ["floor-a", "hono", "edge-sse"] as const;

/** The name of a contender in tables. */
export function label(contender: Contender | NodeContender, oneFloor = false): string {
  if (contender === "better-sse") return "better-sse (node:http)";
  if (contender === "edge-sse-node") return "edge-sse/node (node:http)";
  if (contender === "floor-a") return oneFloor ? "floor" : "floor (a) enqueue/event";
  if (contender === "floor-b") return "floor (b) 64 KiB chunks";
  return contender;
}

/**
 * Runs one client job per stream contender against a fresh bench server on
 * each runtime of `context`; returns each runtime's outputs by contender.
 */
export async function eachStreamContender<Output>(
  context: Context,
  name: string,
  job: (contender: typeof STREAM_CONTENDERS[number], port: number) => unknown,
): Promise<{ runtime: Runtime; results: Map<string, Output> }[]> {
  const runs: { runtime: Runtime; results: Map<string, Output> }[] = [];
  for (const runtime of context.runtimes) {
    const server = await startServer(runtime);
    try {
      const results = new Map<string, Output>();
      for (const contender of STREAM_CONTENDERS) {
        context.log(`${name}: ${runtime} ${contender}`);
        const [output] = await runClient<Output>(job(contender, server.port), 120_000);
        results.set(contender, output);
      }
      runs.push({ runtime, results });
    } finally {
      await server.stop();
    }
  }
  return runs;
}
