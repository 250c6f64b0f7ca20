/**
 * One shared timer for every heartbeat and deadline of every stream.
 *
 * Tasks sit in a binary min-heap ordered by due time; a single `setTimeout`
 * is armed for the earliest one. Ten thousand open streams cost one timer.
 *
 * @module
 */

import { timersBelongToRequests } from "./runtime.ts";

/** A task registered with a {@linkcode Scheduler}. */
export interface ScheduledTask {
  /** Removes the task; it will not run. Safe to call more than once. */
  cancel(): void;
}

interface Entry extends ScheduledTask {
  due: number;
  seq: number;
  index: number;
  run: () => void;
}

/** setTimeout's largest delay (2^31 - 1 ms); longer waits are re-armed. */
const MAX_DELAY = 2_147_483_647;

/** Runs many timed tasks from one runtime timer. */
export class Scheduler {
  #heap: Entry[] = [];
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  #running = false;

  /** Milliseconds on a monotonic clock. */
  now(): number {
    return performance.now();
  }

  /**
   * Runs `run` once, `delay` ms from now. Tasks due at the same time run in
   * the order they were scheduled. An exception thrown by a task is reported
   * asynchronously and does not stop the others.
   */
  schedule(delay: number, run: () => void): ScheduledTask {
    const entry: Entry = {
      due: this.now() + Math.max(0, delay),
      seq: this.#seq++,
      index: -1,
      run,
      cancel: () => this.#remove(entry),
    };
    this.#push(entry);
    this.#arm();
    return entry;
  }

  /** How many tasks are waiting to run. */
  get pending(): number {
    return this.#heap.length;
  }

  /** How many runtime timers are live: 1 while any task waits, else 0. */
  get timers(): number {
    return this.#timer === undefined ? 0 : 1;
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
        this.#remove(entry);
        try {
          entry.run();
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
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
    const delay = Math.min(MAX_DELAY, Math.max(0, Math.ceil(next.due - this.now())));
    this.#armedFor = next.due;
    this.#timer = setTimeout(this.#tick, delay);
  }

  #push(entry: Entry): void {
    entry.index = this.#heap.length;
    this.#heap.push(entry);
    this.#siftUp(entry.index);
  }

  #remove(entry: Entry): void {
    const index = entry.index;
    if (index < 0) return;
    entry.index = -1;
    const last = this.#heap.pop()!;
    if (last !== entry) {
      this.#heap[index] = last;
      last.index = index;
      this.#siftDown(index);
      this.#siftUp(last.index);
    }
    if (!this.#running && this.#heap.length === 0) this.#arm();
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
      if (child + 1 < length && this.#less(heap[child + 1], heap[child])) {
        child++;
      }
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
export class TimerPerTask extends Scheduler {
  #live = new Set<ReturnType<typeof setTimeout>>();

  override schedule(delay: number, run: () => void): ScheduledTask {
    const timer = setTimeout(() => {
      this.#live.delete(timer);
      run();
    }, Math.min(MAX_DELAY, Math.max(0, delay)));
    this.#live.add(timer);
    return {
      cancel: () => {
        if (this.#live.delete(timer)) clearTimeout(timer);
      },
    };
  }

  override get pending(): number {
    return this.#live.size;
  }

  override get timers(): number {
    return this.#live.size;
  }
}

/** The scheduler shared by every stream of this module. */
export const scheduler: Scheduler = timersBelongToRequests ? new TimerPerTask() : new Scheduler();
