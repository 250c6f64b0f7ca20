/**
 * Heartbeats and deadlines of one stream, each one task on the shared
 * scheduler that re-arms itself.
 *
 * A heartbeat is due `interval` after the last write reached the consumer
 * (axum-style: traffic resets it); it is skipped while bytes still wait to be
 * read, since the consumer has not taken the last ones yet. A consumer that
 * takes nothing for `stallTimeout` while bytes wait is treated as gone.
 *
 * @module
 */

import type { StreamConfig } from "./options.ts";
import { scheduler, TimedTask } from "./scheduler.ts";
import type { Writer } from "./writer.ts";

/**
 * How early a timer may fire: `setTimeout` counts whole milliseconds, so
 * one timer per task (workerd) can run up to 1 ms before the clock agrees.
 */
const TIMER_SLACK = 1;

/** Starts the heartbeat, stall watch, `maxDuration` and `idleTimeout` of `writer`. */
export function startTimers(writer: Writer, config: StreamConfig): void {
  const { heartbeat, stallTimeout: stallLimit } = config;
  // With a heartbeat, the heartbeat's task also watches for a stalled
  // consumer: one scheduler task per quiet stream instead of two.
  const stallInBeat = heartbeat !== null && stallLimit > 0 && stallLimit >= heartbeat.interval;
  if (heartbeat !== null) {
    const beat = new Heartbeat(
      writer,
      heartbeat.interval,
      heartbeat.bytes,
      stallInBeat ? stallLimit : 0,
    );
    scheduler.start(heartbeat.interval, beat);
    writer.onEnd(beat);
  }
  if (config.maxDuration > 0) {
    writer.onEnd(scheduler.schedule(config.maxDuration, () => writer.end("max-duration")));
  }
  if (config.idleTimeout > 0) {
    const limit = config.idleTimeout;
    writer.onEnd(scheduler.schedule(limit, () => {
      const idleFor = scheduler.now() - writer.lastEventAt;
      if (idleFor < limit - TIMER_SLACK) return limit - idleFor;
      writer.end("idle");
    }));
  }
  if (stallLimit > 0 && !stallInBeat) {
    writer.onEnd(scheduler.schedule(stallLimit, () => {
      const waitingFor = scheduler.now() - writer.lastWriteAt;
      if (!writer.awaitingConsumer) return stallLimit;
      if (waitingFor < stallLimit - TIMER_SLACK) return stallLimit - waitingFor;
      stalled(writer, waitingFor);
    }));
  }
}

/**
 * The heartbeat of one stream, and its stall watch when `stallLimit` is set
 * (at least `interval`): the one timer of a quiet stream, its own scheduler
 * entry (no closure, no separate entry object), cancelled when the stream ends.
 */
class Heartbeat extends TimedTask {
  /** The handler's wake-up this heartbeat last waited for (see `run()`). */
  #deferredFor = -1;

  constructor(
    readonly writer: Writer,
    readonly interval: number,
    readonly bytes: Uint8Array,
    readonly stallLimit: number,
  ) {
    super();
  }

  run(): number | void {
    const { writer, interval, stallLimit } = this;
    const now = scheduler.now();
    const quietFor = now - writer.lastWriteAt;
    if (writer.awaitingConsumer) {
      // Bytes wait and the consumer takes nothing: no heartbeat on top.
      if (stallLimit === 0) return interval;
      if (quietFor >= stallLimit - TIMER_SLACK) return stalled(writer, quietFor);
      return Math.min(interval, stallLimit - quietFor);
    }
    if (quietFor < interval - TIMER_SLACK) return interval - quietFor;
    // A handler asleep toward its next write, due no later than this
    // heartbeat (`while (await send()) await sleep(interval)`): its event is
    // the heartbeat. Wait for the wake-up, then give the handler its turn
    // (handlerTurn) before writing one; once per wake-up.
    const wake = writer.wakeAt;
    const last = writer.lastWriteAt;
    if (wake > last && wake <= last + interval + TIMER_SLACK && this.#deferredFor !== wake) {
      if (now < wake) return wake - now;
      this.#deferredFor = wake;
      return handlerTurn(interval);
    }
    if (!writer.hasQueued) writer.write(this.bytes);
    return interval;
  }
}

/**
 * How long a heartbeat waits after a sleeping handler's wake-up for its
 * write: an eighth of the interval (at least `TIMER_SLACK`), not a fixed
 * millisecond, which a busy process (a GC pause, a loaded machine) missed,
 * sending a heartbeat beside the event anyway.
 */
function handlerTurn(interval: number): number {
  return Math.max(TIMER_SLACK, Math.ceil(interval / 8));
}

function stalled(writer: Writer, waitingFor: number): void {
  writer.end("client", {
    cause: new Error(`the client read nothing for ${Math.round(waitingFor)} ms`),
    abort: true,
  });
}
