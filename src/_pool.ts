/**
 * Internal: spare objects shared by every stream, so that a busy stream
 * reuses what another gave back instead of allocating, and an idle one holds
 * none (src/_queue.ts keeps its queues and their arrays here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pool } from "./_pool.ts";
 *
 * const pool = new Pool<number[]>(1);
 * assert.equal(pool.take(), undefined);
 * const list = [1];
 * pool.give(list);
 * pool.give([2]); // the pool is full: let go
 * assert.equal(pool.take(), list);
 * assert.equal(pool.take(), undefined);
 * ```
 *
 * @module
 */

/** A bounded stack of spares. */
export class Pool<T> {
  #spares: T[] = [];
  #max: number;

  /** Keeps at most `max` spares. */
  constructor(max: number) {
    this.#max = max;
  }

  /** A spare, or `undefined` when there is none. */
  take(): T | undefined {
    return this.#spares.pop();
  }

  /** Keeps `spare` for the next {@linkcode Pool.take}, unless the pool is full. */
  give(spare: T): void {
    if (this.#spares.length < this.#max) this.#spares.push(spare);
  }
}
