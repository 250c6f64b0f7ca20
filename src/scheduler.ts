/**
 * The timers of every stream's heartbeat, deadlines and `sleep()`.
 *
 * Where one runtime timer can serve every stream ({@linkcode SharedTimer}),
 * tasks sit in a binary min-heap ordered by due time and a single
 * `setTimeout` is armed for the earliest: ten thousand open streams cost one
 * timer. Where timers belong to requests (Cloudflare Workers), each task has
 * its own ({@linkcode TimerPerTask}).
 *
 * @module
 */

import { timersBelongToRequests } from "./runtime.ts";
import { MAX_TIMER_DELAY } from "./_util.ts";

/** A task registered with a {@linkcode Scheduler}. */
export interface ScheduledTask {
  /** Removes the task; it will not run (again). Safe to call more than once. */
  cancel(): void;
}

/**
 * What a task does when due: a function, or an object whose `run()` is
 * called (a per-stream object then needs no closure). Returning a number
 * runs it again that many milliseconds later, as the same task (one handle
 * to cancel).
 */
export type Task = (() => number | void) | { run(): number | void };

function runTask(task: Task): number | void {
  return typeof task === "function" ? task() : task.run();
}

/**
 * A task that is its own handle and, on the shared timer, its own entry in
 * the heap: one object per task instead of a task and an entry (a
 * heartbeat or a `sleep()` of every stream). Subclasses implement `run()`;
 * {@linkcode Scheduler.start} runs it.
 */
export abstract class TimedTask implements ScheduledTask {
  /** The shared timer's bookkeeping: the place in its heap (`-1`: not in it). */
  index = -1;
  /** The shared timer's bookkeeping: when the task is due (`Scheduler.now()` ms). */
  due = 0;
  /** The shared timer's bookkeeping: the order among tasks due at the same time. */
  seq = 0;

  /** Does the task's work; a number runs it again that many ms later. */
  abstract run(): number | void;

  /** Removes the task from the module's scheduler; it will not run (again). */
  cancel(): void {
    scheduler.cancel(this);
  }
}

/** Runs timed tasks. */
export interface Scheduler {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /**
   * Runs `run` once `delay` ms from now, and again after each delay it
   * returns. Tasks due at the same time run in the order they were
   * scheduled. An exception thrown by a task is reported asynchronously and
   * stops that task only.
   */
  schedule(delay: number, run: Task): ScheduledTask;
  /**
   * Runs `task` like {@linkcode Scheduler.schedule}, the task being its own
   * handle (`task.cancel()`); starting a task that waits restarts it.
   */
  start(delay: number, task: TimedTask): void;
  /** Removes `task`: it will not run (again). Safe to call more than once. */
  cancel(task: TimedTask): void;
  /** How many tasks are waiting to run. */
  readonly pending: number;
  /** How many runtime timers are live. */
  readonly timers: number;
}

function clampDelay(delay: number): number {
  // Longer waits are re-armed.
  return Math.min(MAX_TIMER_DELAY, Math.max(0, delay));
}

/** `Entry.index` of a task that is running (not in the heap, not cancelled). */
const RUNNING = -2;

/** A task given to `schedule()`, in the heap (`index` ≥ 0); it is its own handle. */
class Entry extends TimedTask {
  constructor(readonly owner: SharedTimer, readonly task: Task) {
    super();
  }

  run(): number | void {
    return runTask(this.task);
  }

  override cancel(): void {
    this.owner.remove(this);
  }
}

/** Runs every task from one runtime timer. */
export class SharedTimer implements Scheduler {
  #heap: TimedTask[] = [];
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  #running = false;

  now(): number {
    return performance.now();
  }

  schedule(delay: number, run: Task): ScheduledTask {
    const entry = new Entry(this, run);
    this.start(delay, entry);
    return entry;
  }

  start(delay: number, task: TimedTask): void {
    if (task.index >= 0) this.remove(task);
    task.due = this.now() + Math.max(0, delay);
    task.seq = this.#seq++;
    this.#push(task);
    this.#arm();
  }

  cancel(task: TimedTask): void {
    this.remove(task);
  }

  get pending(): number {
    return this.#heap.length;
  }

  /** 1 while any task waits, else 0. */
  get timers(): number {
    return this.#timer === undefined ? 0 : 1;
  }

  /** Takes `entry` out of the heap (internal: {@linkcode ScheduledTask.cancel}). */
  remove(entry: TimedTask): void {
    const index = entry.index;
    entry.index = -1;
    if (index < 0) return;
    const last = this.#heap.pop()!;
    if (last !== entry) {
      this.#heap[index] = last;
      last.index = index;
      this.#siftDown(index);
      this.#siftUp(last.index);
    }
    if (!this.#running && this.#heap.length === 0) this.#arm();
  }

  #tick = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#running = true;
    // A task never runs before it is due (sleep() must not wake early); a
    // timer that fired a fraction of a millisecond early is re-armed.
    const now = this.now();
    try {
      while (this.#heap.length > 0 && this.#heap[0].due <= now) {
        const entry = this.#heap[0];
        this.remove(entry);
        entry.index = RUNNING;
        let next: number | void = undefined;
        try {
          next = entry.run();
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
        // Again: due from the clock now, like a fresh schedule(), unless the
        // task was cancelled while it ran (cancel() reset its index).
        const cancelled = entry.index !== RUNNING;
        entry.index = -1;
        if (!cancelled && typeof next === "number") {
          entry.due = this.now() + Math.max(0, next);
          entry.seq = this.#seq++;
          this.#push(entry);
        }
      }
    } finally {
      this.#running = false;
      this.#arm();
    }
  };

  #arm(): void {
    if (this.#running) return;
    const next = this.#heap[0];
    if (next === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedFor = Infinity;
      return;
    }
    if (this.#timer !== undefined && this.#armedFor <= next.due) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = next.due;
    this.#timer = setTimeout(this.#tick, clampDelay(Math.ceil(next.due - this.now())));
  }

  #push(entry: TimedTask): void {
    entry.index = this.#heap.length;
    this.#heap.push(entry);
    this.#siftUp(entry.index);
  }

  #less(a: TimedTask, b: TimedTask): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const entry = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (!this.#less(entry, parent)) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const entry = heap[index];
    const length = heap.length;
    while (true) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && this.#less(heap[child + 1], heap[child])) child++;
      if (!this.#less(heap[child], entry)) break;
      heap[index] = heap[child];
      heap[index].index = index;
      index = child;
    }
    heap[index] = entry;
    entry.index = index;
  }
}

/**
 * One runtime timer per task. Cloudflare Workers ties a timer to the request
 * that was running when it was set: a shared timer would run every stream's
 * tasks inside one request's context, and die with that request.
 */
export class TimerPerTask implements Scheduler {
  /** Every waiting task (its handle) and its timer. */
  #live = new Map<ScheduledTask, ReturnType<typeof setTimeout>>();

  now(): number {
    return performance.now();
  }

  schedule(delay: number, run: Task): ScheduledTask {
    const task: ScheduledTask = { cancel: () => this.#stop(task) };
    this.#arm(task, run, delay);
    return task;
  }

  start(delay: number, task: TimedTask): void {
    this.#stop(task);
    this.#arm(task, task, delay);
  }

  cancel(task: TimedTask): void {
    this.#stop(task);
  }

  get pending(): number {
    return this.#live.size;
  }

  get timers(): number {
    return this.#live.size;
  }

  #stop(handle: ScheduledTask): void {
    const timer = this.#live.get(handle);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#live.delete(handle);
  }

  #arm(handle: ScheduledTask, run: Task, delay: number): void {
    const live = this.#live;
    const arm = (delay: number) => {
      // A task object's `due` says when it runs, as on the shared timer.
      if (run instanceof TimedTask) run.due = this.now() + Math.max(0, delay);
      live.set(handle, setTimeout(fire, clampDelay(delay)));
    };
    const fire = () => {
      let next: number | void = undefined;
      try {
        next = runTask(run);
      } finally {
        if (typeof next === "number" && live.has(handle)) arm(next);
        else live.delete(handle);
      }
    };
    arm(delay);
  }
}

/** The scheduler shared by every stream of this module. */
export const scheduler: Scheduler = timersBelongToRequests ? new TimerPerTask() : new SharedTimer();
