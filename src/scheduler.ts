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
  /** How many tasks are waiting to run. */
  readonly pending: number;
  /** How many runtime timers are live. */
  readonly timers: number;
}

/** setTimeout's largest delay (2^31 - 1 ms); longer waits are re-armed. */
export const MAX_DELAY = 2_147_483_647;

function clampDelay(delay: number): number {
  return Math.min(MAX_DELAY, Math.max(0, delay));
}

/** `Entry.index` of a task that is running (not in the heap, not cancelled). */
const RUNNING = -2;

/** A task in the heap (`index` ≥ 0); it is its own handle. */
class Entry implements ScheduledTask {
  index = -1;
  constructor(
    readonly owner: SharedTimer,
    public due: number,
    public seq: number,
    readonly task: Task,
  ) {}

  cancel(): void {
    this.owner.remove(this);
  }
}

/** Runs every task from one runtime timer. */
export class SharedTimer implements Scheduler {
  #heap: Entry[] = [];
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  #running = false;

  now(): number {
    return performance.now();
  }

  schedule(delay: number, run: Task): ScheduledTask {
    const entry = new Entry(this, this.now() + Math.max(0, delay), this.#seq++, run);
    this.#push(entry);
    this.#arm();
    return entry;
  }

  get pending(): number {
    return this.#heap.length;
  }

  /** 1 while any task waits, else 0. */
  get timers(): number {
    return this.#timer === undefined ? 0 : 1;
  }

  /** Takes `entry` out of the heap (internal: {@linkcode ScheduledTask.cancel}). */
  remove(entry: Entry): void {
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
          next = runTask(entry.task);
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

  #push(entry: Entry): void {
    entry.index = this.#heap.length;
    this.#heap.push(entry);
    this.#siftUp(entry.index);
  }

  #less(a: Entry, b: Entry): boolean {
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
  #live = new Set<ScheduledTask>();

  now(): number {
    return performance.now();
  }

  schedule(delay: number, run: Task): ScheduledTask {
    const live = this.#live;
    let timer: ReturnType<typeof setTimeout>;
    const task: ScheduledTask = {
      cancel: () => {
        if (live.delete(task)) clearTimeout(timer);
      },
    };
    const fire = () => {
      let next: number | void = undefined;
      try {
        next = runTask(run);
      } finally {
        if (typeof next === "number" && live.has(task)) timer = setTimeout(fire, clampDelay(next));
        else live.delete(task);
      }
    };
    timer = setTimeout(fire, clampDelay(delay));
    live.add(task);
    return task;
  }

  get pending(): number {
    return this.#live.size;
  }

  get timers(): number {
    return this.#live.size;
  }
}

/** The scheduler shared by every stream of this module. */
export const scheduler: Scheduler = timersBelongToRequests ? new TimerPerTask() : new SharedTimer();
