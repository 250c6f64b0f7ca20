/**
 * Internal: `stream.sleep(ms)`, one object per sleep that is both the
 * scheduler's task (it wakes the sleeper with `true`) and the stream's
 * cleanup (it wakes the sleeper with `false` when the stream ends first).
 *
 * @module
 */

import { describe } from "./_validate.ts";
import { type ScheduledTask, scheduler } from "./scheduler.ts";

/** What a sleep needs from its stream (the writer). */
export interface SleepHost {
  /** Whether the stream still takes writes. */
  readonly open: boolean;
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
    const sleeping = new Sleep(host, resolve);
    sleeping.task = scheduler.schedule(ms, sleeping);
    host.onEnd(sleeping);
  });
}

/** One `sleep()`: its scheduler task and its cleanup. */
class Sleep implements ScheduledTask {
  task: ScheduledTask | null = null;
  constructor(
    readonly host: SleepHost,
    readonly resolve: (slept: boolean) => void,
  ) {}

  /** The scheduler's call: the time is up. */
  run(): void {
    this.host.forget(this);
    this.resolve(true);
  }

  /** The stream's cleanup: it ended first. */
  cancel(): void {
    this.task?.cancel();
    this.resolve(false);
  }
}
