/**
 * Internal: the one microtask loop shared by every writer whose flush
 * waits for its producer to go quiet.
 *
 * A writer with a waiting consumer asks to be looked at on the next tick
 * (one microtask); every tick looks at all of them, instead of one
 * microtask per writer per tick (a channel's event to 10 000 streams
 * queued 40 000 microtasks, and their garbage cost more than the writes;
 * bench/README.md). The lists are reused: a tick allocates nothing.
 *
 * @module
 */

import { scheduler } from "./scheduler.ts";

/** A writer as the tick sees it. */
export interface Looking {
  /** Flushes, or asks for the next tick again. */
  look(): void;
}

/** Who asked for the next tick, in `next[0, nextCount)`. */
let next: (Looking | undefined)[] = [];
let nextCount = 0;
/** The list the running tick went through, kept for the tick after. */
let spare: (Looking | undefined)[] = [];

/** `now` inside a tick whose clock nobody has read yet. */
const NOT_READ = -1;
/**
 * While a tick runs: the time its flushes record, read once (`NOT_READ`
 * until the first flush asks; `null` outside a tick). A number read per
 * flush and kept by each writer was a new heap object per stream per event,
 * kept alive from an old object: scavenges had to copy 10 000 of them per
 * event of a fan-out (bench/README.md).
 */
let now: number | null = null;

/** Has `writer.look()` called on the next tick. */
export function lookNextTick(writer: Looking): void {
  next[nextCount++] = writer;
  if (nextCount === 1) queueMicrotask(tick);
}

/** `scheduler.now()`, read once per tick while a tick runs. */
export function tickTime(): number {
  if (now === null) return scheduler.now();
  return now === NOT_READ ? (now = scheduler.now()) : now;
}

function tick(): void {
  const looking = next;
  const count = nextCount;
  next = spare;
  nextCount = 0;
  now = NOT_READ;
  let failure: { error: unknown } | null = null;
  for (let index = 0; index < count; index++) {
    // One writer's failure must not leave the others waiting forever.
    try {
      looking[index]!.look();
    } catch (error) {
      failure ??= { error };
    }
    looking[index] = undefined;
  }
  now = null;
  spare = looking;
  if (failure !== null) throw failure.error;
}
