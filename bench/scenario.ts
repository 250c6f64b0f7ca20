// What one request to the bench server asks for, parsed from its query, and
// the counters every contender updates so the orchestrator can read them.

import { type Shape, SHAPES } from "./shapes.ts";

/** The contenders of every table. */
export type Contender =
  | "floor-a"
  | "floor-b"
  | "hono"
  | "edge-sse"
  // edge-sse at another git revision (`--baseline=<rev>`, throughput only):
  | "edge-sse-baseline"
  // Node only (bench/node_contenders.ts):
  | "better-sse"
  | "edge-sse-node";

/** What the stream does. */
export type Mode = "throughput" | "idle" | "abort" | "ttfb";

/** One request's scenario: `/stream?c=edge-sse&mode=throughput&n=200000&size=64`. */
export interface Scenario {
  contender: Contender;
  mode: Mode;
  /** Events to send (throughput). */
  n: number;
  /** Bytes of `data` per event (throughput). */
  size: number;
  /** Heartbeat interval in ms (idle, abort). */
  heartbeat: number;
  /** Connection id whose abort time is recorded (abort). */
  id: string;
  /** How the edge-sse idle handler is written (bench/shapes.ts). */
  shape: Shape;
}

const CONTENDERS: readonly Contender[] = [
  "floor-a",
  "floor-b",
  "hono",
  "edge-sse",
  "edge-sse-baseline",
  "better-sse",
  "edge-sse-node",
];
const MODES: readonly Mode[] = ["throughput", "idle", "abort", "ttfb"];

/** Parses the query of a `/stream` request; throws on anything unknown. */
export function parseScenario(url: URL): Scenario {
  const q = url.searchParams;
  const contender = q.get("c") as Contender;
  const mode = q.get("mode") as Mode;
  if (!CONTENDERS.includes(contender)) throw new Error(`unknown contender ${contender}`);
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
  return {
    contender,
    mode,
    n: Number(q.get("n") ?? 0),
    size: Number(q.get("size") ?? 64),
    heartbeat: Number(q.get("hb") ?? 1000),
    id: q.get("id") ?? "",
    shape: shapeOf(q.get("shape")),
  };
}

function shapeOf(value: string | null): Shape {
  if (value === null) return "closed";
  if (!SHAPES.includes(value as Shape)) throw new Error(`unknown shape ${value}`);
  return value as Shape;
}

/** Counters read through `/stats`. */
export interface Counters {
  /** Live `setInterval`s of the floor (one per idle stream). */
  floorTimers: number;
  /** Hono streams inside `stream.sleep()`, each holding one `setTimeout`. */
  honoSleeping: number;
  /** Connection id -> wall-clock ms (timeOrigin + now) when its handler saw the abort. */
  aborts: Record<string, number>;
}

export const counters: Counters = { floorTimers: 0, honoSleeping: 0, aborts: {} };

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The `data` of every event: `size` ASCII characters. */
export function payload(size: number): string {
  return "x".repeat(size);
}
