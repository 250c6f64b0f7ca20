// What every benchmark gets from the command line.

import type { Runtime } from "./proc.ts";

export interface Context {
  /** `--quick`: small counts, one round; proves the benchmarks run, measures little. */
  quick: boolean;
  runtimes: Runtime[];
  /** The machine line printed under every table. */
  machine: string;
  /** Log progress lines (to stderr). */
  log(message: string): void;
}

/** The contenders, in table order. */
export const CONTENDERS = ["floor-a", "floor-b", "hono", "edge-sse"] as const;
export type Contender = typeof CONTENDERS[number];

/** Contenders of the single-stream-shape benchmarks, where (a) and (b) are the same stream. */
export const STREAM_CONTENDERS = ["floor-a", "hono", "edge-sse"] as const;

/** The name of a contender in tables. */
export function label(contender: Contender, oneFloor = false): string {
  if (contender === "floor-a") return oneFloor ? "floor" : "floor (a) enqueue/event";
  if (contender === "floor-b") return "floor (b) 64 KiB chunks";
  return contender;
}
