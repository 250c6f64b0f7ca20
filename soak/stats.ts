// What the soak server counts, and its memory, read through GET /stats.

import process from "node:process";
import type { CloseReason } from "../src/closed.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const isBun = globals.Bun !== undefined;

/** Per reader stream (soak/readers.ts), by the `id` of its request. */
export interface ReaderRecord {
  producer: string;
  /** Largest queue seen, in UTF-8 bytes. */
  peakQueueBytes: number;
  sent: number;
  dropped: number;
  reason: CloseReason | null;
  /** Wall-clock ms of the stream's start and end. */
  startedAt: number;
  endedAt: number;
}

export const stats = {
  /** edge-sse streams opened and ended (their `closed` settled). */
  opened: 0,
  ended: 0,
  /** Floor streams opened and ended (cancelled or closed). */
  floorOpened: 0,
  floorEnded: 0,
  reasons: {} as Record<string, number>,
  /** Close reason of each fault request, by kind. */
  faults: {} as Record<string, Record<string, number>>,
  unhandled: 0,
  unhandledSamples: [] as string[],
  /** console.error calls (the library's logs of handler failures). */
  logged: 0,
  logSamples: [] as string[],
  readers: {} as Record<string, ReaderRecord>,
  /** Shutdown: the last id whose send() resolved true, per stream. */
  acked: {} as Record<string, number>,
};

/** Counts an edge-sse stream's opening, and its close reason once it ends. */
export function track(closed: Promise<CloseReason>, onEnd?: (reason: CloseReason) => void): void {
  stats.opened++;
  closed.then((reason) => {
    stats.ended++;
    stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
    onEnd?.(reason);
  });
}

/** A full garbage collection (Deno and Node need --expose-gc). */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    if (isBun) globals.Bun.gc(true);
    else globals.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The JS heap in use, in bytes. */
export async function heapBytes(): Promise<number> {
  if (isBun) {
    const { heapStats } = await import("bun:jsc");
    const heap = heapStats();
    return heap.heapSize + heap.extraMemorySize;
  }
  return process.memoryUsage().heapUsed;
}
