/**
 * The demo's stream handlers: a clock, a counter that resumes from
 * `Last-Event-ID`, and a counter that the server closes on a schedule.
 * (The metrics and the chat have files of their own.)
 *
 * @module
 */

import type { SSEStream } from "../../mod.ts";
import type { Progress } from "./closes.ts";

/** One `time` event per `tick` ms, on the tick, until the stream ends. */
export async function clock(stream: SSEStream, tick: number): Promise<void> {
  for (;;) {
    const now = new Date();
    if (!await stream.send({ event: "time", data: { iso: now.toISOString() } })) return;
    if (!await sleepUntil(stream, nextTick(now.getTime(), tick))) return;
  }
}

/** The start of the tick after the one `time` falls in. */
export function nextTick(time: number, tick: number): number {
  return (Math.floor(time / tick) + 1) * tick;
}

/**
 * Sleeps until the wall clock reads `target`. Timers follow a monotonic clock
 * and may fire a millisecond before `Date.now()` gets there; sleeping again
 * for the rest keeps the clock from sending two events for the same second.
 */
async function sleepUntil(stream: SSEStream, target: number): Promise<boolean> {
  for (let wait = target - Date.now(); wait > 0; wait = target - Date.now()) {
    if (!await stream.sleep(wait)) return false;
  }
  return !stream.signal.aborted;
}

/**
 * Numbered `count` events, one per `tick` ms, starting after the client's
 * last event id: a reconnecting `EventSource` sends it as `Last-Event-ID`.
 */
export async function counter(stream: SSEStream, tick: number, progress: Progress): Promise<void> {
  let n = resumeFrom(stream.lastEventId);
  while (await stream.send({ event: "count", id: ++n, data: { n } })) {
    progress.lastId = n;
    if (!await stream.sleep(tick)) return;
  }
}

/**
 * A counter that announces its time window first. The server ends it with
 * `close.maxDuration`; the browser reconnects and the count goes on.
 */
export function limited(
  stream: SSEStream,
  tick: number,
  window: number,
  progress: Progress,
): Promise<void> {
  stream.send({ event: "window", data: { ms: window, resumedFrom: stream.lastEventId } });
  return counter(stream, tick, progress);
}

/** The number a resumed counter continues after: the last id if it is a count, else 0. */
export function resumeFrom(lastEventId: string | null): number {
  return lastEventId !== null && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0;
}
