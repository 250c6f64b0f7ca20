// The one body reader of the tests: reads a Response body (in-process or from
// a real server) chunk by chunk, keeps its text, and parses its events with
// the client's WHATWG parser (complete events only: an event cut by a
// disconnect is not dispatched, a block without data dispatches nothing, as
// in EventSource).

import { Interpreter } from "../src/client/parse.ts";
import { within } from "./_server.ts";

/** How long a read waits by default before it fails the test (ms). */
const WAIT = 5000;

/** One event as the reader parsed it. */
export interface ReadEvent {
  /** The `event:` field, `"message"` when it had none. */
  event: string;
  data: string;
  /** The event's own `id:` field (`undefined` when it had none). */
  id?: string;
  /** The stream's last event id when the event arrived (EventSource's `lastEventId`). */
  lastEventId: string;
  /** performance.now() when the event's last byte arrived. */
  at: number;
}

/** Reads a body chunk by chunk: as text (`next`, `until`, `rest`) or as events (`take*`). */
export class BodyReader {
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Everything read so far, decoded. */
  text = "";
  /** Each chunk read, decoded. */
  chunks: string[] = [];
  /** Whether the body ended. */
  done = false;
  #decoder = new TextDecoder();
  #parser = new Interpreter({ maxEventSize: Infinity });
  #events: ReadEvent[] = [];
  /** A read still in flight after a timeout: the next read awaits it, so no chunk is lost. */
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;

  constructor(body: Response | ReadableStream<Uint8Array>) {
    const stream = body instanceof ReadableStream ? body : body.body;
    if (stream === null) throw new Error("the response has no body");
    this.reader = stream.getReader();
  }

  /** The stream's last event id so far (EventSource's, sent as Last-Event-ID). */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  /** The last valid `retry:` value read, if any. */
  get retry(): number | undefined {
    return this.#parser.retry;
  }

  /** Reads one chunk; `null` at the end of the body. */
  async next(ms = WAIT): Promise<string | null> {
    if (this.done) return null;
    this.#pending ??= this.reader.read();
    const { value, done } = await within(this.#pending, ms, "reading a chunk");
    this.#pending = null;
    if (done) {
      this.done = true;
      this.#parser.end(this.#emit);
      return null;
    }
    const chunk = this.#decoder.decode(value, { stream: true });
    this.chunks.push(chunk);
    this.text += chunk;
    this.#parser.push(chunk, this.#emit);
    return chunk;
  }

  /** Reads until the text so far contains `needle` (or satisfies it); throws if the body ends first. */
  async until(needle: string | ((text: string) => boolean), ms = WAIT): Promise<string> {
    const enough = typeof needle === "string"
      ? () => this.text.includes(needle)
      : () => needle(this.text);
    if (!await this.fill(enough, ms)) {
      throw new Error(
        `stream ended before ${
          typeof needle === "string" ? JSON.stringify(needle) : "the condition held"
        }; got ${JSON.stringify(this.text)}`,
      );
    }
    return this.text;
  }

  /** Reads to the end of the body; returns all its text. */
  async rest(ms = WAIT): Promise<string> {
    await this.fill(() => false, ms);
    return this.text;
  }

  /** Reads until `count` events arrived (or the body ended); returns them, and forgets them. */
  async take(count: number, ms = WAIT): Promise<ReadEvent[]> {
    await this.fill(() => this.#events.length >= count, ms);
    return this.#events.splice(0, count);
  }

  /** Reads until `enough(events not taken yet)` holds or the body ends; returns them all. */
  async takeUntil(enough: (events: ReadEvent[]) => boolean, ms = WAIT): Promise<ReadEvent[]> {
    await this.fill(() => enough(this.#events), ms);
    return this.#events.splice(0);
  }

  /** Reads to the end of the body; returns the events not taken yet. */
  async takeRest(ms = WAIT): Promise<ReadEvent[]> {
    return await this.takeUntil(() => false, ms);
  }

  /** Cancels the body (the client goes away); never rejects. */
  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason).catch(() => {});
  }

  /** Reads until `enough()` holds (true) or the body ends (false), within `ms` in all. */
  async fill(enough: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!enough()) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`timed out after ${ms} ms: reading ${JSON.stringify(this.text)}`);
      }
      if (await this.next(left) === null) return false;
    }
    return true;
  }

  #emit = (event: { type: string; data: string; lastEventId: string }): void => {
    const read: ReadEvent = {
      event: event.type,
      data: event.data,
      lastEventId: event.lastEventId,
      at: performance.now(),
    };
    if (this.#parser.eventId !== undefined) read.id = this.#parser.eventId;
    this.#events.push(read);
  };
}

/**
 * Reads `body` until `until(text so far)` holds or the body ends (within
 * `ms`); returns the text and the reader, to cancel it or read on.
 */
export async function readUntil(
  body: ReadableStream<Uint8Array>,
  until: (text: string) => boolean,
  ms = WAIT,
): Promise<{ text: string; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = new BodyReader(body);
  await reader.fill(() => until(reader.text), ms);
  return { text: reader.text, reader: reader.reader };
}

/** Collects `reason`s of rejections nobody handled while `body` runs. */
export async function trapUnhandledRejections(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const onEvent = (event: PromiseRejectionEvent) => {
    event.preventDefault?.();
    seen.push(event.reason);
  };
  const onProcess = (reason: unknown) => seen.push(reason);
  if (typeof g.addEventListener === "function") g.addEventListener("unhandledrejection", onEvent);
  g.process?.on?.("unhandledRejection", onProcess);
  try {
    await body();
    // Unhandled rejections are reported after a macrotask or two.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    if (typeof g.removeEventListener === "function") {
      g.removeEventListener("unhandledrejection", onEvent);
    }
    g.process?.off?.("unhandledRejection", onProcess);
  }
  return seen;
}
