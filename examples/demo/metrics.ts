/**
 * The demo's `/metrics` stream: made-up server metrics (random walks) that
 * the page draws as live charts. One numbered `sample` event per interval;
 * a reconnecting client resumes the numbering from `Last-Event-ID`.
 *
 * @module
 */

import type { SSEStream } from "../../mod.ts";
import type { Progress } from "./closes.ts";
import { resumeFrom } from "./streams.ts";

/** One series: where its random walk starts, how far it may go, and how it is rounded. */
interface Series {
  name: string;
  start: number;
  min: number;
  max: number;
  /** The largest change from one sample to the next. */
  step: number;
  decimals: number;
}

/** The charted series; the page draws one chart per name, in this order. */
export const SERIES: readonly Series[] = [
  { name: "requests/s", start: 180, min: 40, max: 420, step: 28, decimals: 0 },
  { name: "latency ms", start: 32, min: 8, max: 140, step: 6, decimals: 1 },
  { name: "errors %", start: 0.4, min: 0, max: 5, step: 0.25, decimals: 2 },
];

/** A sample's data: each series' name with its value. */
export type Sample = Record<string, number>;

/** Numbered `sample` events, one per `interval` ms, until the stream ends. */
export async function metrics(
  stream: SSEStream,
  interval: number,
  progress: Progress,
): Promise<void> {
  const walk = new RandomWalk(SERIES);
  let id = resumeFrom(stream.lastEventId);
  while (await stream.send({ event: "sample", id: ++id, data: walk.next() })) {
    progress.lastId = id;
    if (!await stream.sleep(interval)) return;
  }
}

/** Values that wander within their bounds, pulled gently back towards where they started. */
export class RandomWalk {
  #series: readonly Series[];
  #values: number[];

  constructor(series: readonly Series[]) {
    this.#series = series;
    this.#values = series.map((s) => s.start);
  }

  /** The next sample. */
  next(): Sample {
    const sample: Sample = {};
    this.#series.forEach((s, index) => {
      const value = this.#values[index];
      const pull = (s.start - value) * 0.05;
      const moved = value + pull + (Math.random() * 2 - 1) * s.step;
      this.#values[index] = Math.min(s.max, Math.max(s.min, moved));
      sample[s.name] = round(this.#values[index], s.decimals);
    });
    return sample;
  }
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
