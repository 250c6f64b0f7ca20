/**
 * Replay on reconnect: a channel's history, the appends still in flight, and
 * the hand-over from replayed to live events with no gap and no duplicate.
 *
 * @module
 */

import type { History, HistoryResult } from "./history.ts";
import type { ChannelEvent, ChannelMessage } from "./message.ts";
import type { Subscriber } from "./subscriber.ts";
import { isThenable } from "../_util.ts";

/**
 * Records a channel's messages into its history and replays them to
 * subscribers that come back with a last event id.
 */
export class Replay<T> {
  #history: History<T>;
  #onMissingId: "reset" | "all";
  #report: (error: unknown) => void;
  #pendingAppends = new Set<Promise<void>>();

  constructor(
    history: History<T>,
    onMissingId: "reset" | "all",
    report: (error: unknown) => void,
  ) {
    this.#history = history;
    this.#onMissingId = onMissingId;
    this.#report = report;
  }

  /** Appends `message` to the history; an asynchronous append is tracked until it settles. */
  record(message: ChannelMessage<T>): void {
    try {
      const appended = this.#history.append(message);
      if (isThenable(appended)) {
        const pending: Promise<void> = Promise.resolve(appended)
          .catch((error) => this.#report(error))
          .finally(() => this.#pendingAppends.delete(pending));
        this.#pendingAppends.add(pending);
      }
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * Starts replaying to `subscriber` what came after `lastEventId`; call it
   * right before the subscriber is attached to live events, in the same
   * synchronous step. A synchronous history is read in that step, so nothing
   * falls between the snapshot and the attach. An asynchronous one is read
   * after the attach (and after the appends in flight), and the live events
   * it already holds are skipped.
   */
  start(subscriber: Subscriber<T>, lastEventId: string): void {
    subscriber.backlog = [];
    const history = this.#history;
    const read = (id?: string) =>
      this.#pendingAppends.size === 0
        ? history.after(id)
        : Promise.all(this.#pendingAppends).then(() => history.after(id));
    let found: HistoryResult<T> | Promise<HistoryResult<T>>;
    try {
      found = read(lastEventId);
    } catch (error) {
      found = Promise.reject(error);
    }
    const replay = async () => {
      const dedupe = isThenable(found);
      let replayed = dedupe ? await found : found as HistoryResult<T>;
      let reset: ChannelEvent | null = null;
      if (replayed === undefined) {
        if (this.#onMissingId === "all") replayed = await read();
        else reset = { event: "reset", data: { lastEventId } };
      }
      await subscriber.replay(replayed, dedupe || this.#onMissingId === "all", reset);
    };
    replay().catch((error) => {
      this.#report(error);
      subscriber.stream.close().catch(() => {});
    });
  }
}
