/**
 * Heartbeats and deadlines of one stream, all on the shared scheduler.
 *
 * A heartbeat is due `interval` after the last write reached the consumer
 * (axum-style: traffic resets it); it is skipped while bytes still wait to be
 * read, since the consumer has not taken the last ones yet. A consumer that
 * takes nothing for `stallTimeout` while bytes wait is treated as gone.
 *
 * @module
 */

import type { Config } from "./options.ts";
import { type ScheduledTask, scheduler } from "./scheduler.ts";
import type { Writer } from "./stream.ts";

/** Starts the heartbeat, `maxDuration` and `idleTimeout` of `writer`. */
export function startTimers(writer: Writer, config: Config): void {
  const tasks: ScheduledTask[] = [];
  const heartbeat = config.heartbeat;
  if (heartbeat) {
    const { interval, text } = heartbeat;
    const beat = () => {
      const quietFor = scheduler.now() - writer.lastWriteAt;
      if (quietFor >= interval - 1) {
        if (writer.queuedBytes === 0) writer.write(text);
        tasks[0] = scheduler.schedule(interval, beat);
      } else {
        tasks[0] = scheduler.schedule(interval - quietFor, beat);
      }
    };
    tasks.push(scheduler.schedule(interval, beat));
  }
  if (config.maxDuration > 0) {
    tasks.push(
      scheduler.schedule(config.maxDuration, () => writer.end("max-duration")),
    );
  }
  if (config.idleTimeout > 0) {
    const limit = config.idleTimeout;
    const index = tasks.length;
    const check = () => {
      const idleFor = scheduler.now() - writer.lastEventAt;
      if (idleFor >= limit - 1) writer.end("idle");
      else tasks[index] = scheduler.schedule(limit - idleFor, check);
    };
    tasks.push(scheduler.schedule(limit, check));
  }
  if (config.stallTimeout > 0) {
    const limit = config.stallTimeout;
    const index = tasks.length;
    const check = () => {
      const waitingFor = scheduler.now() - writer.lastWriteAt;
      const stalled = !writer.consumerWaiting && writer.queuedBytes > 0;
      if (stalled && waitingFor >= limit - 1) {
        writer.end(
          "client",
          new Error(`the client read nothing for ${Math.round(waitingFor)} ms`),
        );
      } else {
        tasks[index] = scheduler.schedule(stalled ? limit - waitingFor : limit, check);
      }
    };
    tasks.push(scheduler.schedule(limit, check));
  }
  if (tasks.length > 0) {
    writer.onEnd(() => {
      for (const task of tasks) task.cancel();
    });
  }
}
