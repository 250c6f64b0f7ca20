/**
 * Internal: a stream's queue of serialised events, counted in UTF-8 bytes
 * without scanning every string.
 *
 * Strings are queued as they are and joined and encoded once, when the
 * queue is handed over (one `encodeInto` for a whole burst: the writer's
 * fast path). A string's UTF-16 length is a lower bound of its UTF-8 size
 * and a third of an upper bound; only when a limit falls between the two
 * bounds is the queue measured, by encoding the strings in doubt, each
 * once, into a buffer sized for the burst to reach its limit; that buffer
 * becomes the chunk (a view of its filled part, no copy: on Deno copying it
 * cost 1 KiB events a fifth of their time; bench/README.md). So no text is
 * encoded twice, and a burst allocates one buffer, as one that is never
 * measured does (on Deno a fresh buffer is mostly page faults, and a second,
 * larger or regrown one per burst cost large events much of their
 * throughput). A queue that stays well under its limits never measures
 * anything.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`, whose UTF-16 length is `length`. ASCII text is
 * exactly `length` bytes, encoded with `encodeInto` into a buffer of that
 * size (on Deno much faster than `encode()`; bench/README.md); other text
 * overflows it and takes `encode()`.
 */
export function encodeText(text: string, length: number = text.length): Uint8Array {
  const bytes = new Uint8Array(length);
  return encoder.encodeInto(text, bytes).read === text.length ? bytes : encoder.encode(text);
}

/** UTF-8 bytes per UTF-16 code unit, at most (U+0800 to U+FFFF). */
const MAX_BYTES_PER_UNIT = 3;

/**
 * Parts a queue's array may have held and still be kept: a default 64 KiB
 * burst of small events (the strings queued between two measurements are
 * fewer). A longer one is let go. Emptied (`length = 0`), the array keeps
 * its capacity on Bun, and on V8 (Deno, Node) lets its backing store go
 * (measured: 170 against 10 440 bytes freed per emptied 1 000-part array);
 * keeping the capacity on V8 too, by overwriting parts in place, was no
 * faster (bench/README.md).
 */
const REUSED_LENGTH = 1_024;

/**
 * Emptied queues, each with its emptied array: a writer holds one only
 * while two parts or more wait ({@linkcode Queued}), so an idle stream holds
 * none, and neither does a stream of a fan-out (one message per event),
 * while a busy one makes no garbage. At most `MAX_SPARE_QUEUES` are kept
 * (with `REUSED_LENGTH`, at most 256 K array slots in all): as many as
 * streams in a burst at once, which a fan-out's streams never are.
 */
const spareQueues: ChunkQueue[] = [];
const MAX_SPARE_QUEUES = 256;

/** Queued text and bytes, in order. */
export class ChunkQueue {
  /** An empty queue, from the spares if there is one. */
  static borrow(): ChunkQueue {
    return spareQueues.pop() ?? new ChunkQueue();
  }

  /** Gives the emptied queue back to the spares; the caller lets go of it. */
  release(): void {
    if (spareQueues.length < MAX_SPARE_QUEUES) spareQueues.push(this);
  }

  /** What measurements encoded, `#head[0, #filled)`: the queue's first bytes, and the chunk it hands over; `null` while none. */
  #head: Uint8Array | null = null;
  #filled = 0;
  /** What is queued after `#head`, not encoded yet. */
  #parts: (string | Uint8Array)[] = [];
  /** UTF-8 bytes of `#head` and of the `Uint8Array` parts. */
  #bytes = 0;
  /** UTF-16 code units of the string parts. */
  #units = 0;
  #hasBytes = false;

  /** Whether nothing is queued. */
  get empty(): boolean {
    return this.#parts.length === 0 && this.#head === null;
  }

  /** Queued UTF-8 bytes, at least (exact when no string is in doubt). */
  get atLeast(): number {
    return this.#bytes + this.#units;
  }

  /** Queued UTF-8 bytes, at most. */
  get atMost(): number {
    return this.#bytes + MAX_BYTES_PER_UNIT * this.#units;
  }

  /**
   * Queued UTF-8 bytes, exactly: the strings in doubt are encoded, each
   * once, into a buffer of at least `expected` bytes (room for the
   * burst to come).
   */
  exact(expected = 0): number {
    if (this.#units > 0) this.#encodeParts(expected);
    return this.#bytes;
  }

  push(part: string | Uint8Array): void {
    this.#parts.push(part);
    if (typeof part === "string") {
      this.#units += part.length;
    } else {
      this.#bytes += part.byteLength;
      this.#hasBytes = true;
    }
  }

  /** Empties the queue. */
  clear(): void {
    this.#emptyParts();
    this.#head = null;
    this.#filled = this.#bytes = this.#units = 0;
    this.#hasBytes = false;
  }

  /** Everything queued as one chunk; the queue is left empty. */
  take(): Uint8Array {
    let chunk: Uint8Array;
    if (this.#head === null) {
      chunk = this.#join(this.#parts);
    } else {
      this.#encodeParts(0);
      chunk = this.#head.subarray(0, this.#filled);
    }
    this.clear();
    return chunk;
  }

  /** Encodes the parts onto the end of `#head`, each run of strings with one call. */
  #encodeParts(expected: number): void {
    const parts = this.#parts;
    if (parts.length === 0) return;
    this.#head ??= new Uint8Array(Math.max(this.atMost, expected));
    let index = 0;
    while (index < parts.length) {
      const part = parts[index];
      if (typeof part !== "string") {
        this.#reserve(this.#filled + part.byteLength).set(part, this.#filled);
        this.#filled += part.byteLength;
        index++;
        continue;
      }
      let end = index + 1;
      while (end < parts.length && typeof parts[end] === "string") end++;
      let text = end - index === 1 ? part : parts.slice(index, end).join("");
      for (;;) {
        const head = this.#reserve(this.#filled + text.length);
        const { read, written } = encoder.encodeInto(text, head.subarray(this.#filled));
        this.#filled += written;
        if (read === text.length) break;
        text = text.slice(read);
        this.#reserve(this.#filled + MAX_BYTES_PER_UNIT * text.length);
      }
      index = end;
    }
    this.#emptyParts();
    this.#bytes = this.#filled;
    this.#units = 0;
    this.#hasBytes = false;
  }

  /** `#head`, grown to hold at least `size` bytes. */
  #reserve(size: number): Uint8Array {
    const head = this.#head!;
    if (head.byteLength >= size) return head;
    const grown = new Uint8Array(Math.max(size, 2 * head.byteLength));
    grown.set(head.subarray(0, this.#filled));
    return this.#head = grown;
  }

  /** Empties `#parts`, keeping the array unless a burst made it long. */
  #emptyParts(): void {
    if (this.#parts.length > REUSED_LENGTH) this.#parts = [];
    else this.#parts.length = 0;
  }

  /** The parts as one chunk. */
  #join(parts: (string | Uint8Array)[]): Uint8Array {
    if (!this.#hasBytes) return encodeText(parts.join(""), this.#units);
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (const part of parts) {
      const bytes = typeof part === "string" ? encodeText(part) : part;
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
}

/**
 * What a writer has queued: nothing, one part as it is (most of the time a
 * stream's only event, heartbeat or channel message between two hand-overs:
 * no queue object at all), or a {@linkcode ChunkQueue} (two parts or more,
 * borrowed with the second and given back at the hand-over).
 */
export type Queued = string | Uint8Array | ChunkQueue | null;

/** `queued` with `part` after it (a queue is borrowed for the second part). */
export function append(queued: Queued, part: string | Uint8Array): Queued {
  if (queued === null) return part;
  if (queued instanceof ChunkQueue) {
    queued.push(part);
    return queued;
  }
  const queue = ChunkQueue.borrow();
  queue.push(queued);
  queue.push(part);
  return queue;
}

/** UTF-8 bytes queued, at most. */
export function atMost(queued: Queued): number {
  if (queued instanceof ChunkQueue) return queued.atMost;
  if (queued === null) return 0;
  return typeof queued === "string" ? MAX_BYTES_PER_UNIT * queued.length : queued.byteLength;
}

/** UTF-8 bytes queued, at least. */
export function atLeast(queued: Queued): number {
  if (queued instanceof ChunkQueue) return queued.atLeast;
  if (queued === null) return 0;
  return typeof queued === "string" ? queued.length : queued.byteLength;
}

/** Everything queued as one chunk; a queue (emptied by `take()`) goes back to the pool. */
export function takeChunk(queued: string | Uint8Array | ChunkQueue): Uint8Array {
  if (typeof queued === "string") return encodeText(queued);
  if (queued instanceof Uint8Array) return queued;
  const chunk = queued.take();
  queued.release();
  return chunk;
}

/** Lets go of what is queued (a queue is emptied and goes back to the pool). */
export function drop(queued: Queued): void {
  if (queued instanceof ChunkQueue) {
    queued.clear();
    queued.release();
  }
}
