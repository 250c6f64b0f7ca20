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

import type { HeartbeatConfig, StreamConfig } from "./options.ts";
import { scheduler } from "./scheduler.ts";
import { SleepClock } from "./_sleep.ts";
import type { Writer } from "./writer.ts";

/**
 * How early a timer may fire: `setTimeout` counts whole milliseconds, so
 * one timer per task (workerd) can run up to 1 ms before the clock agrees.
 */
const TIMER_SLACK = 1;

/** Starts the heartbeat, stall watch, `maxDuration` and `idleTimeout` of `writer`. */
export function startTimers(writer: Writer, config: StreamConfig): void {
  // A stream that ended at once (a shutdown already under way) has none.
  if (!writer.open) return;
  const { heartbeat, stallTimeout: stallLimit } = config;
  // With a heartbeat, the heartbeat's task also watches for a stalled
  // consumer (`heartbeat.stallLimit`): one scheduler task per quiet stream
  // instead of two.
  const stallInBeat = heartbeat !== null && heartbeat.stallLimit > 0;
  if (heartbeat !== null) {
    const beat = new Heartbeat(writer, heartbeat);
    scheduler.start(heartbeat.interval, beat);
    writer.startClock(beat);
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
 * The heartbeat of one stream, its stall watch when `config.stallLimit` is
 * set, and the handler's `sleep()`: the one scheduler task of a
 * quiet stream (its own entry: no closure, no separate entry object), due at
 * whichever comes first, the next heartbeat check or the sleep's wake-up.
 * Cancelled when the stream ends, which wakes a sleep with `false`.
 */
class Heartbeat extends SleepClock {
  /**
   * When the handler's latest `sleep()` wakes or woke (`scheduler.now()`
   * ms), -1 before any: a handler that sleeps toward its next write makes
   * that write instead of a heartbeat (see `#beat()`).
   */
  #wakeAt = -1;
  /** The wake-up this heartbeat last waited for (see `#beat()`). */
  #deferredFor = -1;

  constructor(readonly writer: Writer, readonly config: HeartbeatConfig) {
    super();
  }

  sleep(ms: number, wake: (slept: boolean) => void): boolean {
    if (this.holding) return false;
    this.hold(wake);
    this.#wakeAt = scheduler.now() + ms;
    // Due later than the wake-up (the next heartbeat check): due then.
    if (this.#wakeAt < this.due) scheduler.start(ms, this);
    return true;
  }

  run(): number | void {
    const now = scheduler.now();
    // Never before its time: a task may run for the heartbeat first, and
    // one timer per task (workerd) may fire a little early.
    if (this.holding && now >= this.#wakeAt) this.wakeUp(true);
    const next = this.#beat(now);
    if (next === undefined || !this.holding) return next;
    return Math.min(next, this.#wakeAt - now);
  }

  /** The heartbeat and stall check: what is due now, and in how many ms to look again. */
  #beat(now: number): number | void {
    const { writer } = this;
    const { interval, stallLimit } = this.config;
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
    const wake = this.#wakeAt;
    const last = writer.lastWriteAt;
    if (wake > last && wake <= last + interval + TIMER_SLACK && this.#deferredFor !== wake) {
      if (now < wake) return wake - now;
      this.#deferredFor = wake;
      return handlerTurn(interval);
    }
    if (!writer.hasQueued) writer.write(this.config.bytes);
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
