/**
 * One stream attached to a channel: how a message reaches it (the shared
 * bytes for the core's own streams, `send()` for any other
 * {@linkcode SSEStream}), and the replay that runs before it goes live.
 *
 * @module
 */

import { formatEvent } from "../format.ts";
import type { HistoryResult } from "./history.ts";
import type { ChannelEvent, ChannelMessage } from "./message.ts";
import { type SSEStream, Writer } from "../writer.ts";

/**
 * Bytes of live messages a replaying subscriber that is not one of the
 * core's streams may hold back before it is ended as a slow consumer (the
 * core's smallest default `maxBuffered`; core streams use their own).
 */
export const REPLAY_BACKLOG_LIMIT = 1024 * 1024;

/** A stream attached to a channel. */
export class Subscriber<T> {
  readonly stream: SSEStream;
  readonly filter: ((event: ChannelEvent<T>) => boolean) | null;
  /** Live messages held back while the replay is written; `null` once live. */
  backlog: ChannelMessage<T>[] | null = null;
  #writer: Writer | null;
  #backlogBytes = 0;

  constructor(stream: SSEStream, filter: ((event: ChannelEvent<T>) => boolean) | null) {
    this.stream = stream;
    this.filter = filter;
    this.#writer = stream instanceof Writer ? stream : null;
  }

  /** Whether the stream still takes writes. */
  get open(): boolean {
    return this.#writer ? this.#writer.open : !this.stream.signal.aborted;
  }

  /** Calls `leave` once when the stream ends. */
  onEnd(leave: () => void): void {
    if (this.#writer) return this.#writer.onEnd(leave);
    this.stream.signal.addEventListener("abort", leave, { once: true });
  }

  /**
   * Hands a live message over without waiting; `true` if it was queued (not
   * dropped, not refused by a closed or overflowing stream).
   */
  offer(message: ChannelMessage<T>): boolean {
    if (this.backlog !== null) {
      this.backlog.push(message);
      this.#backlogBytes += message.bytes.byteLength;
      if (this.#backlogBytes > (this.#writer?.maxBuffered ?? REPLAY_BACKLOG_LIMIT)) {
        this.#overflow();
        return false;
      }
      return true;
    }
    const writer = this.#writer;
    if (writer === null) {
      if (this.stream.signal.aborted) return false;
      this.stream.send(message.event as never).catch(() => {});
      return true;
    }
    const written = writer.write(message.bytes, true);
    return written === "queued" || written === "full";
  }

  /** Writes a replayed message; resolves when the stream can take more, `false` once closed. */
  #write(message: ChannelMessage<T>): Promise<boolean> {
    const writer = this.#writer;
    if (writer === null) return this.stream.send(message.event as never);
    return writer.ready(writer.write(message.bytes, true));
  }

  /**
   * Writes `replayed` (the history after the subscriber's last event id),
   * then the live messages that arrived meanwhile, then goes live. With
   * `dedupe`, live messages already replayed are skipped (a history read
   * after the live attach may hold them too).
   */
  async replay(
    replayed: HistoryResult<T>,
    dedupe: boolean,
    reset: ChannelEvent | null,
  ): Promise<void> {
    if (reset !== null) {
      const sent = this.#writer
        ? this.#writer.ready(this.#writer.write(formatEvent(reset as never), true))
        : this.stream.send(reset as never);
      if (!await sent) return;
    }
    const seen = new Set<string>();
    for (const message of replayed ?? []) {
      if (dedupe && message.id !== undefined) seen.add(message.id);
      if (this.passes(message) && !await this.#write(message)) return;
    }
    const backlog = this.backlog!;
    for (let index = 0; index < backlog.length; index++) {
      const message = backlog[index];
      this.#backlogBytes -= message.bytes.byteLength;
      if (message.id !== undefined && seen.has(message.id)) continue;
      if (!await this.#write(message)) return;
    }
    this.backlog = null;
    this.#backlogBytes = 0;
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

  #overflow(): void {
    this.backlog = [];
    this.#backlogBytes = 0;
    if (this.#writer) this.#writer.end("slow-consumer");
    else this.stream.close().catch(() => {});
  }
}
