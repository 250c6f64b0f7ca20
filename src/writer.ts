/**
 * The per-connection writer: the queue, coalescing, backpressure and the one
 * close path every ending goes through.
 *
 * @module
 */

import { type CloseReason, StreamClosed } from "./closed.ts";
import { warnWriteAfterReturn } from "./_late_write.ts";
import type { FinalTexts, ServerCloseReason } from "./final.ts";
import { formatComment, formatEvent, lastEventIdFrom, type SSEEvent } from "./format.ts";
import { type ScheduledTask, scheduler } from "./scheduler.ts";
import type { SSEStream } from "./stream.ts";
import type { Sink, SinkOwner } from "./sink.ts";
import {
  append,
  atLeast,
  atMost,
  ChunkQueue,
  drop,
  encodeText,
  type Queued,
  takeChunk,
} from "./_queue.ts";
import { lookNextTick, tickTime } from "./_flush_tick.ts";
import { sleep, SleepClock } from "./_sleep.ts";

/** What the writer reads from the options (a `StreamConfig` has it all). */
export interface WriterOptions {
  /** The first bytes, queued at once. */
  preamble: string;
  highWaterMark: number;
  maxBuffered: number;
  dropWhenFull: boolean;
  /** `close.final` by reason, serialised: written before a server-initiated close. */
  final: FinalTexts | null;
  /** `close.idleTimeout`; when set, the writer keeps the time of the last event. */
  idleTimeout: number;
}

/**
 * What {@linkcode Writer.write} did: `"queued"` (under `highWaterMark`),
 * `"full"` (queued, at or over `highWaterMark`: wait before writing more),
 * `"dropped"` (over `maxBuffered` with `onSlowConsumer: "drop"`), or
 * `"closed"` (the stream had ended, or ended now as a slow consumer).
 */
export type Written = "queued" | "full" | "dropped" | "closed";

/** How {@linkcode Writer.end} ends the stream. */
export interface EndOptions {
  /** The error behind the end, kept as `signal.reason.cause`. */
  cause?: unknown;
  /**
   * The final event, serialised. Default: `close.final` on a server-initiated
   * close, nothing after a handler error, and never when the client is gone
   * or too slow (their queue is dropped).
   */
  final?: string;
  /**
   * Abort the sink, so that the runtime drops the connection instead of
   * delivering what it still holds: for a client that does not read (a
   * stall, a slow consumer). Default: on "slow-consumer" only; a client the
   * runtime saw leave needs no abort (and some runtimes log one).
   */
  abort?: boolean;
}

/** Runs once when the stream ends: a function, or a scheduler task to cancel. */
export type Cleanup = (() => void) | ScheduledTask;

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);
const DONE = Promise.resolve();
/** Microtasks without a write before a waiting consumer gets the queued bytes. */
const QUIET_TICKS = 3;

/**
 * Where the consumer and the flush stand, in one number ({@linkcode Writer}'s
 * `#pull`). Negative: no flush is pending, and the consumer either has not
 * asked for bytes since its last chunk (`NO_DEMAND`) or waits for them
 * (`DEMAND`); `STALE` is a flush pending for a consumer that got its bytes
 * another way (`end()` flushed), which it drops. From 0 to `QUIET_TICKS` + 1:
 * a flush is pending for a waiting consumer, and the number is the ticks it
 * has looked since the last write (a write sets it back to 0); past
 * `QUIET_TICKS` the producer has gone quiet and the burst goes out.
 */
type Pull = number;
const NO_DEMAND: Pull = -1;
const DEMAND: Pull = -2;
const STALE: Pull = -3;
/** A flush just scheduled: as if one tick had passed since the write. */
const SCHEDULED: Pull = 1;
/** Whoever waits for the queue to drain: one promise for all of them. */
interface Drain {
  promise: Promise<boolean>;
  resolve: (open: boolean) => void;
}

/**
 * What few streams use, made on first use ({@linkcode Writer}'s `#seldom`):
 * an idle stream holds one empty field instead of four.
 */
class Seldom {
  /** Behind `signal`, made when it is first read. */
  abort: AbortController | undefined = undefined;
  /** Writers waiting for the queue to drain (backpressure). */
  drain: Drain | null = null;
  /** Events dropped (`onSlowConsumer: "drop"`). */
  dropped = 0;
  /** `scheduler.now()` when an event was last queued (with `close.idleTimeout`). */
  lastEventAt = 0;
}

/**
 * A request built only when the handler reads `stream.request` (the Node
 * entry's view of an `IncomingMessage`), whose last event id is read
 * without building it.
 */
export interface RequestSource {
  /** The web `Request`, aborting with `signal`. */
  toRequest(signal: AbortSignal): Request;
  /** As {@linkcode SSEStream.lastEventId}. */
  readonly lastEventId: string | null;
}

/**
 * An {@linkcode SSEStream} writing into a {@linkcode Sink}: the queue, the
 * coalescing of bursts into one chunk, the byte limits, and the one close
 * path ({@linkcode Writer.end}).
 */
export class Writer<S extends Sink = Sink> implements SSEStream, SinkOwner {
  /** Where the bytes go. */
  readonly sink: S;

  #options: WriterOptions;
  /** `null` while the stream takes writes; how it ended once it has. */
  #end: StreamClosed | null = null;
  #closed: Promise<CloseReason> | undefined;
  #resolveClosed: ((reason: CloseReason) => void) | undefined;
  /** What waits for the consumer (see {@linkcode Queued}); `null` while nothing does. */
  #queued: Queued = null;
  /** The consumer and the pending flush (see {@linkcode Pull}). */
  #pull: Pull = NO_DEMAND;
  /**
   * What runs when the stream ends, in two fields so that two cleanups (the
   * heartbeat, always first, and a channel's subscriber, or the request
   * signal's watch on Node) need no array per stream: the first, then the
   * second or, from the third on, an array of the others.
   */
  #cleanup: Cleanup | null = null;
  #cleanups: Cleanup | Cleanup[] | null = null;
  #request: Request | RequestSource;
  #lastWriteAt: number;
  /** The signal, backpressure waits, drops and idle time (see {@linkcode Seldom}); `null` until used. */
  #seldom: Seldom | null = null;

  /**
   * Creates the writer and its sink (given the writer to call back), and
   * queues the preamble. `request` may be a {@linkcode RequestSource} that
   * builds it when first read.
   */
  constructor(
    request: Request | RequestSource,
    options: WriterOptions,
    openSink: (owner: SinkOwner) => S,
  ) {
    this.#request = request;
    this.#options = options;
    this.#lastWriteAt = scheduler.now();
    if (options.idleTimeout > 0) this.#seldomState().lastEventAt = this.#lastWriteAt;
    this.sink = openSink(this);
    this.#push(options.preamble);
  }

  get signal(): AbortSignal {
    const seldom = this.#seldomState();
    if (seldom.abort === undefined) {
      seldom.abort = new AbortController();
      if (this.#end !== null) seldom.abort.abort(this.#end);
    }
    return seldom.abort.signal;
  }

  /**
   * The stream's heartbeat (src/deadlines.ts), which also holds the
   * handler's `sleep()` (src/_sleep.ts); `null` without one.
   */
  get clock(): SleepClock | null {
    const first = this.#cleanup;
    return first instanceof SleepClock ? first : null;
  }

  get closed(): Promise<CloseReason> {
    if (this.#closed === undefined) {
      this.#closed = this.#end !== null
        ? Promise.resolve(this.#end.reason)
        : new Promise((resolve) => this.#resolveClosed = resolve);
    }
    return this.#closed;
  }

  get dropped(): number {
    return this.#seldom?.dropped ?? 0;
  }

  get bufferedAmount(): number {
    return this.#exact();
  }

  /** The cap on queued bytes (`maxBuffered`). */
  get maxBuffered(): number {
    return this.#options.maxBuffered;
  }

  /** Whether the stream still takes writes. */
  get open(): boolean {
    return this.#end === null;
  }

  /** `scheduler.now()` when bytes were last handed to the sink. */
  get lastWriteAt(): number {
    return this.#lastWriteAt;
  }

  /** `scheduler.now()` when an event was last queued (kept with `close.idleTimeout` only). */
  get lastEventAt(): number {
    return this.#seldom?.lastEventAt ?? 0;
  }

  /** Whether `promise` is this stream's `closed` (settles once it ended, never rejects). */
  isClosedPromise(promise: unknown): boolean {
    return promise !== undefined && promise === this.#closed;
  }

  /** Whether anything is queued (without measuring it, as `bufferedAmount` may). */
  get hasQueued(): boolean {
    return this.#queued !== null;
  }

  /** Whether bytes wait while the consumer is not asking for more (a stall, if it lasts). */
  get awaitingConsumer(): boolean {
    return this.#queued !== null && (this.#pull === NO_DEMAND || this.#pull === STALE);
  }

  get request(): Request {
    const request = this.#request;
    if (request instanceof Request) return request;
    return this.#request = request.toRequest(this.signal);
  }

  get lastEventId(): string | null {
    const request = this.#request;
    return request instanceof Request ? lastEventIdOf(request) : request.lastEventId;
  }

  send(event: SSEEvent | string): Promise<boolean> {
    let text: string;
    try {
      text = formatEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    const written = this.write(text, true);
    return written === "queued" ? TRUE : this.ready(written);
  }

  comment(text = ""): Promise<boolean> {
    let line: string;
    try {
      line = formatComment(text);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ready(this.write(line + "\n"));
  }

  sleep(ms: number): Promise<boolean> {
    return sleep(this, ms);
  }

  close(final?: SSEEvent): Promise<void> {
    let text: string | undefined;
    if (final !== undefined) {
      try {
        text = formatEvent(final);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.end("closed", { final: text });
    return DONE;
  }

  /** Runs `cleanup` once when the stream ends (at once if it has). */
  onEnd(cleanup: Cleanup): void {
    if (this.#end !== null) runCleanup(cleanup);
    else if (this.#cleanup === null) this.#cleanup = cleanup;
    else this.#addCleanup(cleanup);
  }

  /**
   * Gives the stream its clock ({@linkcode Writer.clock}): held as the first
   * cleanup (no field of its own), so cancelled when the stream ends.
   */
  startClock(clock: SleepClock): void {
    if (this.#end !== null) return clock.cancel();
    const first = this.#cleanup;
    this.#cleanup = clock;
    if (first !== null) this.#addCleanup(first);
  }

  #addCleanup(cleanup: Cleanup): void {
    const cleanups = this.#cleanups;
    if (cleanups === null) this.#cleanups = cleanup;
    else if (Array.isArray(cleanups)) cleanups.push(cleanup);
    else this.#cleanups = [cleanups, cleanup];
  }

  /**
   * Queues serialised text (or bytes) without validation and says what
   * happened; past `maxBuffered` it drops the text or ends the stream
   * ("slow-consumer"). With `isEvent`, it counts as an event for
   * `close.idleTimeout`.
   */
  write(text: string | Uint8Array, isEvent = false): Written {
    if (this.#end !== null) return "closed";
    const options = this.#options;
    if (isEvent && options.idleTimeout > 0) this.#seldom!.lastEventAt = scheduler.now();
    // Limits in UTF-8 bytes: a string's length is a lower bound of its size,
    // a third of an upper bound; count exactly only when a limit is in doubt.
    // The rare paths are methods of their own, so that this one stays small
    // enough for the runtime to inline into the handler's loop.
    const queued = this.#queued;
    if (queued !== null && atMost(queued) + 3 * text.length > options.maxBuffered) {
      return this.#writeNearCap(text);
    }
    this.#push(text);
    return atMost(this.#queued) <= options.highWaterMark ? "queued" : this.#pastHighWaterMark(text);
  }

  /** {@linkcode Writer.write} when `text` may not fit under `maxBuffered`. */
  #writeNearCap(text: string | Uint8Array): Written {
    const { maxBuffered } = this.#options;
    const queued = this.#exact();
    if (queued + text.length > maxBuffered) return this.#overflow();
    if (typeof text === "string" && queued + 3 * text.length > maxBuffered) {
      text = encodeText(text);
      if (queued + text.byteLength > maxBuffered) return this.#overflow();
    }
    this.#push(text);
    return this.#pastHighWaterMark(text);
  }

  /**
   * Whether a queue that may be past `highWaterMark`, `text` last, is:
   * measured only when in doubt, into a buffer sized for the burst to reach
   * `highWaterMark` (where the producer waits and the burst goes out).
   */
  #pastHighWaterMark(text: string | Uint8Array): Written {
    const queued = this.#queued;
    const { highWaterMark } = this.#options;
    if (atMost(queued) <= highWaterMark) return "queued";
    if (atLeast(queued) > highWaterMark) return "full";
    const expected = highWaterMark + 3 * text.length;
    return this.#exact(expected) <= highWaterMark ? "queued" : "full";
  }

  /**
   * Queued UTF-8 bytes, exactly: strings in doubt are measured (into a
   * buffer of at least `expected` bytes, see `ChunkQueue.exact`); a single
   * string is measured in a queue, which then holds it.
   */
  #exact(expected = 0): number {
    let queued = this.#queued;
    if (queued === null) return 0;
    if (queued instanceof Uint8Array) return queued.byteLength;
    if (typeof queued === "string") {
      const queue = ChunkQueue.borrow();
      queue.push(queued);
      this.#queued = queued = queue;
    }
    return queued.exact(expected);
  }

  /**
   * Resolves like `send()` after a write that returned `written`: `true` at
   * once when queued under `highWaterMark`, else once the queue drained
   * (every waiting writer shares one promise), `false` once closed.
   */
  ready(written: Written): Promise<boolean> {
    if (written === "queued") return TRUE;
    if (written === "closed") {
      if (this.#end?.reason === "returned") warnWriteAfterReturn();
      return FALSE;
    }
    const seldom = this.#seldomState();
    if (seldom.drain === null) {
      let resolve!: (open: boolean) => void;
      const promise = new Promise<boolean>((settle) => resolve = settle);
      seldom.drain = { promise, resolve };
    }
    return seldom.drain.promise;
  }

  /**
   * The one close path. Server-initiated ends write the final event (see
   * {@linkcode EndOptions.final}) after the queued events and close the
   * sink; when the client is gone or too slow, the queue is dropped (and
   * the sink aborted, see {@linkcode EndOptions.abort}).
   */
  end(reason: CloseReason, options?: EndOptions): void {
    if (this.#end !== null) return;
    const ended = this.#end = new StreamClosed(reason, { cause: options?.cause });
    const clientLost = reason === "client" || reason === "slow-consumer";
    const abort = options?.abort ?? reason === "slow-consumer";
    if (clientLost || abort) {
      this.#dropQueue();
    } else {
      const final = options?.final ?? this.#options.final?.[reason as ServerCloseReason] ?? null;
      if (final !== null) this.#push(final);
    }
    const first = this.#cleanup;
    const others = this.#cleanups;
    this.#cleanup = this.#cleanups = null;
    if (first !== null) runCleanup(first);
    if (Array.isArray(others)) { for (const cleanup of others) runCleanup(cleanup); }
    else if (others !== null) runCleanup(others);
    this.#settleDrain(false);
    this.#seldom?.abort?.abort(ended);
    if (abort) {
      this.sink.abort(ended);
    } else if (clientLost) {
      this.sink.close();
    } else {
      this.#flush();
      this.sink.close();
    }
    this.#resolveClosed?.(reason);
  }

  /** Sink callback: the consumer wants bytes. */
  demand(): void {
    const pull = this.#pull;
    if (pull === STALE) this.#pull = SCHEDULED;
    else if (pull < 0) {
      if (this.#queued === null) this.#pull = DEMAND;
      else this.#scheduleFlush();
    }
  }

  /** Sink callback: the client went away. */
  gone(cause: unknown): void {
    this.end("client", { cause });
  }

  /** Past `maxBuffered`: drops the text, or ends the stream. */
  #overflow(): Written {
    if (!this.#options.dropWhenFull) {
      this.end("slow-consumer");
      return "closed";
    }
    this.#seldomState().dropped++;
    return "dropped";
  }

  #push(text: string | Uint8Array): void {
    this.#queued = append(this.#queued, text);
    const pull = this.#pull;
    if (pull >= 0) this.#pull = 0;
    else if (pull === DEMAND) this.#scheduleFlush();
  }

  /** Lets go of everything queued (a client gone, too slow, or aborted). */
  #dropQueue(): void {
    drop(this.#queued);
    this.#queued = null;
  }

  #scheduleFlush(): void {
    this.#pull = SCHEDULED;
    lookNextTick(this);
  }

  /**
   * Flushes for a waiting consumer once the producer has stopped writing:
   * a loop of `await send()` writes once per microtask, so the flush waits
   * (tick by tick, never a timer) until a few pass without a write or the
   * queue reaches `highWaterMark`; then the whole burst goes out as one
   * chunk instead of one chunk per event. Called by the shared tick
   * (`_flush_tick.ts`), not by handlers.
   */
  look(): void {
    const pull = this.#pull;
    if (pull < 0) {
      if (pull === STALE) this.#pull = NO_DEMAND;
      return;
    }
    if (pull <= QUIET_TICKS && atLeast(this.#queued) < this.#options.highWaterMark) {
      this.#pull = pull + 1;
      lookNextTick(this);
      return;
    }
    this.#pull = DEMAND;
    this.#flush();
  }

  /** Hands everything queued to the sink as one chunk. */
  #flush(): void {
    const queued = this.#queued;
    if (queued === null) return;
    this.#queued = null;
    const chunk = takeChunk(queued);
    // Before the write: a sink may call demand() from inside it. A flush
    // still pending (this one came from end()) finds nothing to do.
    this.#pull = this.#pull >= 0 ? STALE : NO_DEMAND;
    try {
      if (this.sink.write(chunk)) this.demand();
    } catch (error) {
      this.end("client", { cause: error });
      return;
    }
    this.#lastWriteAt = tickTime();
    this.#settleDrain(true);
  }

  #seldomState(): Seldom {
    return this.#seldom ??= new Seldom();
  }

  #settleDrain(open: boolean): void {
    const seldom = this.#seldom;
    if (seldom === null || seldom.drain === null) return;
    const { resolve } = seldom.drain;
    seldom.drain = null;
    resolve(open);
  }

  /** Unregisters a cleanup that is no longer needed (a sleep that woke). */
  forget(cleanup: Cleanup): void {
    const cleanups = this.#cleanups;
    if (this.#cleanup === cleanup) {
      this.#cleanup = null;
    } else if (cleanups === cleanup) {
      this.#cleanups = null;
    } else if (Array.isArray(cleanups)) {
      const index = cleanups.indexOf(cleanup);
      if (index >= 0) cleanups.splice(index, 1);
    }
  }
}

/** The last event id `request` carries (see {@linkcode lastEventIdFrom}). */
function lastEventIdOf(request: Request): string | null {
  const header = request.headers.get("last-event-id");
  return lastEventIdFrom(header, header === null ? request.url : undefined);
}

function runCleanup(cleanup: Cleanup): void {
  if (typeof cleanup === "function") cleanup();
  else cleanup.cancel();
}
