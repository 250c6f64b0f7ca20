/**
 * The per-connection writer: the queue, coalescing, backpressure and the one
 * close path every ending goes through.
 *
 * @module
 */

import { type CloseReason, StreamClosed } from "./closed.ts";
import { formatComment, formatEvent, type SSEEvent } from "./format.ts";
import { type ScheduledTask, scheduler } from "./scheduler.ts";

/**
 * The handle a handler writes through. Every method is safe to call after the
 * stream ended: writes then resolve `false`.
 *
 * @example
 * ```ts
 * import { sse } from "@edge-sse/core";
 *
 * sse(new Request("http://localhost/"), async (stream) => {
 *   let n = 0;
 *   while (await stream.send({ event: "tick", id: ++n, data: { n } })) {
 *     await stream.sleep(1000);
 *   }
 * });
 * ```
 */
export interface SSEStream {
  /** The request this stream answers. */
  readonly request: Request;
  /** Aborts exactly once when the stream ends, for any reason; `reason` is a {@linkcode StreamClosed}. */
  readonly signal: AbortSignal;
  /** The `Last-Event-ID` header, else the `lastEventId` query parameter; `null` when absent or over 1 024 characters. */
  readonly lastEventId: string | null;
  /** Settles once, with the reason, when the stream has ended; never rejects. */
  readonly closed: Promise<CloseReason>;
  /** Events dropped because the buffer was full (with `onSlowConsumer: "drop"`). */
  readonly dropped: number;
  /**
   * Queues an event. Resolves `true` once fewer than `highWaterMark` bytes are
   * queued, `false` once the stream has ended. Rejects (and writes nothing)
   * only on an invalid event.
   */
  send(event: SSEEvent | string): Promise<boolean>;
  /** Queues a comment line (`: text`); resolves like {@linkcode SSEStream.send}. */
  comment(text?: string): Promise<boolean>;
  /** Waits `ms` milliseconds; wakes early with `false` when the stream ends. */
  sleep(ms: number): Promise<boolean>;
  /** Ends the stream after the queued events (and `final`, else `close.final`). Idempotent. */
  close(final?: SSEEvent): Promise<void>;
}

/** What the writer needs from the options. */
export interface WriterOptions {
  open: string;
  highWaterMark: number;
  maxBuffered: number;
  dropWhenFull: boolean;
  final: string | null;
  /** Keep `lastEventAt` (for `close.idleTimeout`): a clock read per event, costly on Deno. */
  trackEvents: boolean;
}

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);
const MAX_LAST_EVENT_ID = 1024;
/** Microtasks without a write before a waiting consumer gets the queued bytes. */
const QUIET_TICKS = 3;
const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`, whose UTF-16 length is `length`. Text is
 * queued as strings and counted in UTF-16 code units (scanning every event
 * for non-ASCII characters cost more than the rest of `send()`); ASCII text
 * is then exactly `length` bytes, encoded with `encodeInto` (on Deno many
 * times faster than `encode`: ~2 µs against ~40-150 µs for 64 KiB). Other
 * text takes the slow path.
 */
function encodeText(text: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  return encoder.encodeInto(text, bytes).read === text.length ? bytes : encoder.encode(text);
}

/** An {@linkcode SSEStream} with the body it writes to. */
export class Writer implements SSEStream {
  readonly request: Request;
  readonly readable: ReadableStream<Uint8Array>;
  readonly closed: Promise<CloseReason>;
  /** `scheduler.now()` when bytes were last handed to the consumer. */
  lastWriteAt: number;
  /** `scheduler.now()` when an event was last queued. */
  lastEventAt: number;

  #options: WriterOptions;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #abort = new AbortController();
  #resolveClosed!: (reason: CloseReason) => void;
  #open = true;
  #bodyDone = false;
  #parts: (string | Uint8Array)[] = [];
  #hasBytes = false;
  #queued = 0;
  #consumerWaiting = false;
  #flushQueued = false;
  /** Whether anything was queued since the pending flush last looked. */
  #pushedSinceLook = false;
  #quietTicks = 0;
  #drainWaiters: ((open: boolean) => void)[] = [];
  #cleanups: (() => void)[] = [];
  #dropped = 0;
  #lastEventId: string | null | undefined;

  constructor(request: Request, options: WriterOptions) {
    this.request = request;
    this.#options = options;
    this.lastWriteAt = this.lastEventAt = scheduler.now();
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#pull(),
      cancel: (reason) => {
        this.#bodyDone = true;
        this.end("client", reason);
      },
    }, { highWaterMark: 0 });
    this.#push(options.open, options.open.length);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** The cap on queued bytes (`maxBuffered`). */
  get maxBuffered(): number {
    return this.#options.maxBuffered;
  }

  /** Bytes waiting for the consumer. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Whether bytes wait while the consumer is not asking for more (a stall, if it lasts). */
  get awaitingConsumer(): boolean {
    return this.#queued > 0 && !this.#consumerWaiting;
  }

  /** Whether the stream still accepts writes. */
  get open(): boolean {
    return this.#open;
  }

  get lastEventId(): string | null {
    if (this.#lastEventId === undefined) {
      let id = this.request.headers.get("last-event-id");
      if (id === null) {
        const url = this.request.url;
        if (url.includes("lastEventId=")) {
          id = new URL(url).searchParams.get("lastEventId");
        }
      }
      this.#lastEventId = id !== null && id.length <= MAX_LAST_EVENT_ID ? id : null;
    }
    return this.#lastEventId;
  }

  send(event: SSEEvent | string): Promise<boolean> {
    let text: string;
    try {
      text = formatEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write(text, true);
  }

  comment(text = ""): Promise<boolean> {
    let line: string;
    try {
      line = formatComment(text);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write(line + "\n");
  }

  sleep(ms: number): Promise<boolean> {
    if (typeof ms !== "number" || !(ms >= 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot sleep: \`ms\` must be a non-negative number, got ${String(ms)}`,
        ),
      );
    }
    if (!this.#open) return FALSE;
    return new Promise((resolve) => {
      let task: ScheduledTask | undefined = undefined;
      const wake = () => {
        task?.cancel();
        resolve(false);
      };
      this.#cleanups.push(wake);
      task = scheduler.schedule(ms, () => {
        const index = this.#cleanups.indexOf(wake);
        if (index >= 0) this.#cleanups.splice(index, 1);
        resolve(true);
      });
    });
  }

  close(final?: SSEEvent): Promise<void> {
    let text = this.#options.final;
    if (final !== undefined) {
      try {
        text = formatEvent(final);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.end("closed", undefined, text);
    return this.closed.then(() => {});
  }

  /** Registers cleanup to run once when the stream ends. */
  onEnd(cleanup: () => void): void {
    if (this.#open) this.#cleanups.push(cleanup);
    else cleanup();
  }

  /**
   * Queues serialised text (or bytes) without validation. Resolves like
   * `send()`; closes the stream or drops the text past `maxBuffered`. With
   * `isEvent`, it counts as an event for `close.idleTimeout`.
   */
  write(text: string | Uint8Array, isEvent = false): Promise<boolean> {
    if (!this.#open) return FALSE;
    if (isEvent && this.#options.trackEvents) this.lastEventAt = scheduler.now();
    const size = typeof text === "string" ? text.length : text.byteLength;
    if (this.#queued + size > this.#options.maxBuffered && this.#queued > 0) {
      if (!this.#options.dropWhenFull) {
        this.end("slow-consumer");
        return FALSE;
      }
      this.#dropped++;
      return this.#drained();
    }
    this.#push(text, size);
    return this.#queued <= this.#options.highWaterMark ? TRUE : this.#drained();
  }

  /**
   * The one close path. Server-initiated ends write `final` (default:
   * `close.final`, none on "error") after the queued events; the client
   * ending (or a slow one) drops the queue.
   */
  end(reason: CloseReason, cause?: unknown, final?: string | null): void {
    if (!this.#open) return;
    this.#open = false;
    if (reason === "client" || reason === "slow-consumer") {
      this.#parts = [];
      this.#queued = 0;
    } else {
      if (final === undefined) final = reason === "error" ? null : this.#options.final;
      if (final !== null) this.#push(final, final.length);
    }
    const cleanups = this.#cleanups;
    this.#cleanups = [];
    for (const cleanup of cleanups) cleanup();
    for (const resolve of this.#drainWaiters.splice(0)) resolve(false);
    this.#abort.abort(new StreamClosed(reason, { cause }));
    if (!this.#bodyDone) {
      this.#flush();
      this.#bodyDone = true;
      try {
        this.#controller.close();
      } catch {
        // Already errored by the runtime: nothing left to close.
      }
    }
    this.#resolveClosed(reason);
  }

  /** Queues `text` of `size` (UTF-16 code units for a string, bytes otherwise). */
  #push(text: string | Uint8Array, size: number): void {
    if (typeof text !== "string") this.#hasBytes = true;
    this.#parts.push(text);
    this.#queued += size;
    this.#pushedSinceLook = true;
    if (this.#consumerWaiting) this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#pushedSinceLook = false;
    this.#quietTicks = 0;
    queueMicrotask(this.#flushFromPull);
  }

  /**
   * Flushes for a waiting consumer once the producer has stopped writing:
   * a loop of `await send()` writes once per microtask, so the flush waits
   * (microtask by microtask, never a timer) until a few pass without a write
   * or the queue reaches `highWaterMark`; then the whole burst goes out as
   * one chunk instead of one chunk per event.
   */
  #flushFromPull = (): void => {
    if (
      this.#consumerWaiting && this.#queued < this.#options.highWaterMark &&
      (this.#pushedSinceLook || this.#quietTicks < QUIET_TICKS)
    ) {
      this.#quietTicks = this.#pushedSinceLook ? 0 : this.#quietTicks + 1;
      this.#pushedSinceLook = false;
      queueMicrotask(this.#flushFromPull);
      return;
    }
    this.#flushQueued = false;
    if (this.#consumerWaiting) this.#flush();
  };

  #pull(): void {
    this.#consumerWaiting = true;
    if (this.#queued > 0) this.#scheduleFlush();
  }

  /** Hands everything queued to the consumer as one chunk. */
  #flush(): void {
    if (this.#queued === 0 || this.#bodyDone) return;
    const chunk = this.#join();
    this.#consumerWaiting = false;
    try {
      this.#controller.enqueue(chunk);
    } catch (error) {
      this.#bodyDone = true;
      this.end("client", error);
      return;
    }
    this.lastWriteAt = scheduler.now();
    for (const resolve of this.#drainWaiters.splice(0)) resolve(true);
  }

  #join(): Uint8Array {
    const parts = this.#parts;
    const size = this.#queued;
    this.#parts = [];
    this.#queued = 0;
    if (!this.#hasBytes) {
      return encodeText(parts.length === 1 ? parts[0] as string : parts.join(""), size);
    }
    this.#hasBytes = false;
    if (parts.length === 1) return parts[0] as Uint8Array;
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (const part of parts) {
      const bytes = typeof part === "string" ? encodeText(part, part.length) : part;
      pieces.push(bytes);
      total += bytes.byteLength;
    }
    const chunk = new Uint8Array(total);
    let offset = 0;
    for (const piece of pieces) {
      chunk.set(piece, offset);
      offset += piece.byteLength;
    }
    return chunk;
  }

  #drained(): Promise<boolean> {
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }
}
