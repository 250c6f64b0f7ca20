/**
 * The demo's close log: every stream reports why it ended, and `/closes`
 * streams those records to the page as they happen.
 *
 * @module
 */

import type { CloseReason, SSEStream } from "../../mod.ts";

/** One ended stream, as the page shows it. */
export interface CloseRecord {
  route: string;
  reason: CloseReason;
  /** How long the stream was open, in milliseconds. */
  ms: number;
  /** The last event id it sent, if it sends ids. */
  lastId: number | null;
  /** When it ended (ISO 8601). */
  at: string;
}

/** What a handler updates while it streams, so its record can tell where it stopped. */
export interface Progress {
  lastId: number | null;
}

const KEEP = 20;

/** Recent close records and the `/closes` streams that watch them. */
export class CloseLog {
  #recent: CloseRecord[] = [];
  #watchers = new Set<SSEStream>();

  /** Records `stream`'s close reason once it ends. */
  track(route: string, stream: SSEStream): Progress {
    const progress: Progress = { lastId: null };
    const opened = Date.now();
    stream.closed.then((reason) =>
      this.#add({
        route,
        reason,
        ms: Date.now() - opened,
        lastId: progress.lastId,
        at: new Date().toISOString(),
      })
    );
    return progress;
  }

  /** Sends the recent records to `stream`, then every new one until it ends. */
  watch(stream: SSEStream): void {
    // send() queues synchronously: no record can slip in between history and live.
    for (const record of this.#recent) stream.send({ event: "closed", data: record });
    this.#watchers.add(stream);
    stream.signal.addEventListener("abort", () => this.#watchers.delete(stream), { once: true });
  }

  #add(record: CloseRecord): void {
    this.#recent.push(record);
    if (this.#recent.length > KEEP) this.#recent.shift();
    for (const watcher of this.#watchers) watcher.send({ event: "closed", data: record });
  }
}
