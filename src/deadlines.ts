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
import type { Writer } from "./writer.ts";

/** Starts the heartbeat, `maxDuration` and `idleTimeout` of `writer`. */
export function startTimers(writer: Writer, config: Config): void {
  const tasks: ScheduledTask[] = [];
  const heartbeat = config.heartbeat;
  // With a heartbeat, the heartbeat's task also watches for a stalled
  // consumer: one scheduler task per quiet stream instead of two.
  const stallLimit = config.stallTimeout;
  const stallInBeat = heartbeat !== null && stallLimit > 0 && stallLimit >= heartbeat.interval;
  if (heartbeat) {
    const { interval } = heartbeat;
    const bytes = heartbeatBytes(heartbeat.text);
    const beat = () => {
      const quietFor = scheduler.now() - writer.lastWriteAt;
      if (writer.awaitingConsumer) {
        // Bytes wait and the consumer takes nothing: no heartbeat on top.
        if (stallInBeat && quietFor >= stallLimit - 1) return stalled(writer, quietFor);
        const next = stallInBeat ? Math.min(interval, stallLimit - quietFor) : interval;
        tasks[0] = scheduler.schedule(next, beat);
      } else if (quietFor >= interval - 1) {
        if (writer.queuedBytes === 0) writer.write(bytes);
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
  if (stallLimit > 0 && !stallInBeat) {
    const index = tasks.length;
    const check = () => {
      const waitingFor = scheduler.now() - writer.lastWriteAt;
      const waiting = writer.awaitingConsumer;
      if (waiting && waitingFor >= stallLimit - 1) {
        stalled(writer, waitingFor);
      } else {
        tasks[index] = scheduler.schedule(waiting ? stallLimit - waitingFor : stallLimit, check);
      }
    };
    tasks.push(scheduler.schedule(stallLimit, check));
  }
  if (tasks.length > 0) {
    writer.onEnd(() => {
      for (const task of tasks) task.cancel();
    });
  }
}

function stalled(writer: Writer, waitingFor: number): void {
  writer.end("client", new Error(`the client read nothing for ${Math.round(waitingFor)} ms`));
}

const DEFAULT_HEARTBEAT = ":\n\n";
const DEFAULT_HEARTBEAT_BYTES = new TextEncoder().encode(DEFAULT_HEARTBEAT);

/** The heartbeat as bytes, encoded once (shared by every stream for the default). */
function heartbeatBytes(text: string): Uint8Array {
  return text === DEFAULT_HEARTBEAT ? DEFAULT_HEARTBEAT_BYTES : new TextEncoder().encode(text);
}
