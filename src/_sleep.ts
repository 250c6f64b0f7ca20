/**
 * Internal: `stream.sleep(ms)`. A stream with a heartbeat sleeps in its
 * heartbeat's scheduler task (one task per stream, not one more per sleep);
 * a sleep that cannot (no heartbeat, or sleeps in parallel) is its own task
 * ({@linkcode Sleep}) and the stream's cleanup.
 *
 * @module
 */

import { describe } from "./_validate.ts";
import { type ScheduledTask, scheduler, TimedTask } from "./scheduler.ts";

/**
 * A scheduler task that holds one sleeper and wakes it once: with `true`
 * when its time comes (the subclass says when), with `false` when the task
 * is cancelled (the stream ended) first.
 */
abstract class WakingTask extends TimedTask {
  #wake: ((slept: boolean) => void) | null = null;

  /** Whether a sleeper waits. */
  protected get holding(): boolean {
    return this.#wake !== null;
  }

  /** Holds `wake` until {@linkcode WakingTask.wakeUp} or the end. */
  protected hold(wake: (slept: boolean) => void): void {
    this.#wake = wake;
  }

  /** Wakes the sleeper, if one waits. */
  protected wakeUp(slept: boolean): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.(slept);
  }

  /** The stream ended: the task stops, and a waiting sleeper wakes with `false`. */
  override cancel(): void {
    super.cancel();
    this.wakeUp(false);
  }
}

/** A stream's own scheduler task that can also hold its handler's sleep (the heartbeat). */
export abstract class SleepClock extends WakingTask {
  /**
   * Calls `wake(true)` once `ms` have passed, or `wake(false)` when the task
   * is cancelled (the stream ended) first. Returns `false`, taking nothing,
   * while it still holds an earlier sleep.
   */
  abstract sleep(ms: number, wake: (slept: boolean) => void): boolean;
}

/** What a sleep needs from its stream (the writer). */
export interface SleepHost {
  /** Whether the stream still takes writes. */
  readonly open: boolean;
  /** The stream's heartbeat, which holds a sleep at a time; `null` without one. */
  readonly clock: SleepClock | null;
  /** Runs `cleanup.cancel()` once when the stream ends. */
  onEnd(cleanup: ScheduledTask): void;
  /** Unregisters a cleanup that is no longer needed. */
  forget(cleanup: ScheduledTask): void;
}

const FALSE = Promise.resolve(false);

/**
 * Resolves with `true` after `ms` milliseconds, or with `false` as soon as
 * `host` ends (at once if it has); rejects on a bad `ms`.
 */
export function sleep(host: SleepHost, ms: number): Promise<boolean> {
  if (typeof ms !== "number" || !(ms >= 0)) {
    return Promise.reject(
      typeof ms === "number"
        ? new RangeError(`Cannot sleep: \`ms\` must be a non-negative number, got ${ms}`)
        : new TypeError(
          `Cannot sleep: \`ms\` must be a number of milliseconds, got ${describe(ms)} ${
            JSON.stringify(ms) ?? String(ms)
          }`,
        ),
    );
  }
  if (!host.open) return FALSE;
  return new Promise((resolve) => {
    if (host.clock?.sleep(ms, resolve)) return;
    const sleeping = new Sleep(host, resolve);
    host.onEnd(sleeping);
    scheduler.start(ms, sleeping);
  });
}

/**
 * A `sleep()` on its own: its scheduler task (no separate entry object) and
 * the stream's cleanup.
 */
class Sleep extends WakingTask {
  constructor(readonly host: SleepHost, resolve: (slept: boolean) => void) {
    super();
    this.hold(resolve);
  }

  /** The scheduler's call: the time is up. */
  run(): void {
    this.host.forget(this);
    this.wakeUp(true);
  }
}
