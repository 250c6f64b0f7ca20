/**
 * One stream attached to a channel: its position in the channel's log, how
 * an entry reaches it (the shared bytes for the core's own streams, `send()`
 * for any other {@linkcode SSEStream}), and the replay that runs before it
 * goes live, merged with live entries by offset.
 *
 * @module
 */

import { encodeEvent } from "../format.ts";
import { type LogEntry, type LogPosition, parseLogId } from "./log.ts";
import type { ChannelEvent, ChannelMessage } from "./message.ts";
import type { SSEStream } from "../stream.ts";
import { Writer } from "../writer.ts";

/**
 * Bytes of live messages a replaying subscriber that is not one of the
 * core's streams may hold back before it is ended as a slow consumer (the
 * core's smallest default `maxBuffered`; core streams use their own).
 */
export const REPLAY_BACKLOG_LIMIT = 1024 * 1024;

/** A log entry with the message the channel made of it. */
export interface Delivery<T> {
  readonly entry: LogEntry;
  readonly message: ChannelMessage<T>;
}

/** Where a subscriber is in the log: the last entry it was given (or the client's id said). */
export interface Position {
  epoch: string;
  offset: number;
  id: string;
}

/** The position a client's id names, if it is a shared log's id (`"<epoch>-<offset>"`). */
export function positionOf(position: LogPosition): Position | null {
  if (!("after" in position)) return null;
  const parsed = parseLogId(position.after);
  return parsed === null ? null : { ...parsed, id: position.after };
}

/** A stream attached to a channel. */
export class Subscriber<T> {
  readonly stream: SSEStream;
  readonly filter: ((event: ChannelEvent<T>) => boolean) | null;
  /** Live entries held back while the replay is written; `null` once live. */
  backlog: Delivery<T>[] | null = null;
  /** The position: the last entry given (or the client's id), `#epoch` null before any. */
  #epoch: string | null = null;
  #offset = 0;
  #id = "";
  #beforeGap = "";
  #writer: Writer | null;
  #backlogBytes = 0;
  #subscribers: Set<Subscriber<T>> | null = null;

  constructor(stream: SSEStream, filter: ((event: ChannelEvent<T>) => boolean) | null) {
    this.stream = stream;
    this.filter = filter;
    this.#writer = stream instanceof Writer ? stream : null;
  }

  /** Whether the stream still takes writes. */
  get open(): boolean {
    return this.#writer ? this.#writer.open : !this.stream.signal.aborted;
  }

  /**
   * Takes this subscriber out of `subscribers` once the stream ends. The
   * subscriber is itself the writer's cleanup (`cancel()`) or the signal's
   * listener (`handleEvent()`): no closure per stream.
   */
  leaveWhenEnded(subscribers: Set<Subscriber<T>>): void {
    this.#subscribers = subscribers;
    if (this.#writer) return this.#writer.onEnd(this);
    this.stream.signal.addEventListener("abort", this, { once: true });
  }

  /** The writer's cleanup: the stream ended. */
  cancel(): void {
    this.#subscribers?.delete(this);
  }

  /** The signal's listener (streams that are not the core's): the stream ended. */
  handleEvent(): void {
    this.#subscribers?.delete(this);
  }

  /**
   * Hands a live entry over without waiting; `true` if it was queued (not a
   * duplicate, not filtered out, not refused by a closed or overflowing stream).
   */
  offer(delivery: Delivery<T>): boolean {
    if (this.backlog !== null) {
      this.backlog.push(delivery);
      this.#backlogBytes += delivery.message.bytes.byteLength;
      if (this.#backlogBytes > (this.#writer?.maxBuffered ?? REPLAY_BACKLOG_LIMIT)) {
        this.#overflow();
        return false;
      }
      return true;
    }
    const jump = this.#advance(delivery.entry);
    if (jump === "duplicate") return false;
    if (jump === "gap") void this.#write(this.#reset());
    if (!this.passes(delivery.message)) return false;
    const writer = this.#writer;
    if (writer === null) {
      if (this.stream.signal.aborted) return false;
      this.stream.send(delivery.message.event).catch(() => {});
      return true;
    }
    const written = writer.write(delivery.message.bytes, true);
    return written === "queued" || written === "full";
  }

  /**
   * Writes the replay (`reset` first if the log said so, then `replayed`),
   * then the live entries that arrived meanwhile, skipping those the replay
   * (or the client, by `known`, its own last id) already covers, then goes
   * live. Resolves `false` if the stream closed on the way.
   */
  async replay(
    replayed: readonly Delivery<T>[],
    reset: ChannelEvent | null,
    known: Position | null,
  ): Promise<boolean> {
    if (reset !== null && !await this.#write(reset)) return false;
    if (known !== null) {
      [this.#epoch, this.#offset, this.#id] = [known.epoch, known.offset, known.id];
    }
    for (const delivery of replayed) {
      this.#advance(delivery.entry);
      if (this.passes(delivery.message) && !await this.#write(delivery.message)) return false;
    }
    const backlog = this.backlog!;
    for (let index = 0; index < backlog.length; index++) {
      const delivery = backlog[index];
      this.#backlogBytes -= delivery.message.bytes.byteLength;
      const jump = this.#advance(delivery.entry);
      if (jump === "duplicate") continue;
      if (jump === "gap" && !await this.#write(this.#reset())) return false;
      if (this.passes(delivery.message) && !await this.#write(delivery.message)) return false;
    }
    this.backlog = null;
    this.#backlogBytes = 0;
    return true;
  }

  /** Whether the filter lets `message` through; a throwing filter lets nothing through. */
  passes(message: ChannelMessage<T>): boolean {
    if (this.filter === null) return true;
    try {
      return this.filter(message.event) === true;
    } catch (error) {
      console.error("edge-sse: a channel subscriber's filter threw", error);
      return false;
    }
  }

  /**
   * Moves the position to `entry`: `"next"` when it follows the last one,
   * `"duplicate"` when it was already given, `"gap"` when entries were lost
   * in between (trimmed while a tail was cut off, or a new epoch).
   */
  #advance(entry: LogEntry): "next" | "duplicate" | "gap" {
    const epoch = this.#epoch;
    const sameEpoch = entry.epoch === epoch;
    if (sameEpoch && entry.offset <= this.#offset) return "duplicate";
    const follows = epoch === null || (sameEpoch && entry.offset === this.#offset + 1);
    if (!follows) this.#beforeGap = this.#id;
    this.#epoch = entry.epoch;
    this.#offset = entry.offset;
    this.#id = entry.id;
    return follows ? "next" : "gap";
  }

  /** The `reset` event for the gap #advance found last: it names the last id given before it. */
  #reset(): ChannelEvent {
    return { event: "reset", data: { lastEventId: this.#beforeGap } };
  }

  /** Writes a replayed message or event; resolves when the stream can take more, `false` once closed. */
  #write(message: ChannelMessage<T> | ChannelEvent): Promise<boolean> {
    const writer = this.#writer;
    const isMessage = "bytes" in message;
    if (writer === null) {
      return this.stream.send(isMessage ? message.event : message);
    }
    return writer.ready(
      writer.write(isMessage ? message.bytes : encodeEvent(message), true),
    );
  }

  #overflow(): void {
    this.backlog = [];
    this.#backlogBytes = 0;
    if (this.#writer) this.#writer.end("slow-consumer");
    else this.stream.close().catch(() => {});
  }
}
