/**
 * Internal: `stream.sleep(ms)`, one object per sleep that is both the
 * scheduler's task (it wakes the sleeper with `true`) and the stream's
 * cleanup (it wakes the sleeper with `false` when the stream ends first).
 *
 * @module
 */

import { describe } from "./_validate.ts";
import { type ScheduledTask, scheduler, TimedTask } from "./scheduler.ts";

/** What a sleep needs from its stream (the writer). */
export interface SleepHost {
  /** Whether the stream still takes writes. */
  readonly open: boolean;
  /** Runs `cleanup.cancel()` once when the stream ends. */
  onEnd(cleanup: ScheduledTask): void;
  /** Unregisters a cleanup that is no longer needed. */
  forget(cleanup: ScheduledTask): void;
  /**
   * The latest sleep, waiting or woken (kept for its wake-up time, `due`);
   * the host cancels it when it ends. Set by {@linkcode sleep}.
   */
  lastSleep: Sleep | null;
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
    // The host cancels its latest sleep itself; an earlier one still
    // waiting (sleeps in parallel) becomes one of its cleanups.
    const previous = host.lastSleep;
    if (previous !== null && previous.waiting) host.onEnd(previous);
    const sleeping = host.lastSleep = new Sleep(host, resolve);
    scheduler.start(ms, sleeping);
  });
}

/**
 * One `sleep()`: its own scheduler task (no separate entry object) and the
 * stream's cleanup.
 */
export class Sleep extends TimedTask {
  #resolve: ((slept: boolean) => void) | null;

  constructor(readonly host: SleepHost, resolve: (slept: boolean) => void) {
    super();
    this.#resolve = resolve;
  }

  /** Whether it has not woken yet. */
  get waiting(): boolean {
    return this.#resolve !== null;
  }

  /** The scheduler's call: the time is up. */
  run(): void {
    if (this.host.lastSleep !== this) this.host.forget(this);
    this.#wake(true);
  }

  /** The stream's cleanup: it ended first. */
  override cancel(): void {
    super.cancel();
    this.#wake(false);
  }

  #wake(slept: boolean): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.(slept);
  }
}
