/**
 * Internal: a stream's queue of serialised events, counted in UTF-8 bytes
 * without scanning every string.
 *
 * Strings are queued as they are and joined and encoded once, when the
 * queue is handed over (one `encodeInto` for a whole burst: the writer's
 * fast path). A string's UTF-16 length is a lower bound of its UTF-8 size
 * and a third of an upper bound; only when a limit falls between the two
 * bounds are the strings in doubt measured, each once, by encoding them
 * into a scratch buffer shared by every stream (no allocation; a regular
 * expression scan costs more on 1 KiB strings: bench/README.md). A queue
 * that stays well under its limits never measures anything.
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

/** Where strings in doubt are encoded to be measured; grown for a larger one. */
let scratch = new Uint8Array(64 * 1024);

/** The UTF-8 size of `text`. */
export function utf8Length(text: string): number {
  if (MAX_BYTES_PER_UNIT * text.length > scratch.byteLength) {
    scratch = new Uint8Array(MAX_BYTES_PER_UNIT * text.length);
  }
  return encoder.encodeInto(text, scratch).written;
}

/** Parts a queue's array may have held and still be reused. */
const REUSED_LENGTH = 16;

/**
 * Emptied arrays, shared by every queue: a queue takes one with its first
 * part and gives it back at the hand-over, so an idle stream holds no array
 * and a busy one makes no garbage. At most `MAX_SPARE` are kept.
 */
const spare: (string | Uint8Array)[][] = [];
const MAX_SPARE = 16_384;

/** Queued text and bytes, in order. */
export class ChunkQueue {
  /** `null` while empty. */
  #parts: (string | Uint8Array)[] | null = null;
  /** `#parts[0, #measured)` are counted exactly, in `#bytes`. */
  #measured = 0;
  /** UTF-8 bytes of the measured parts, and of every `Uint8Array` part. */
  #bytes = 0;
  /** UTF-16 code units of the strings not measured yet. */
  #units = 0;
  #hasBytes = false;

  /** Whether nothing is queued. */
  get empty(): boolean {
    return this.#parts === null;
  }

  /** Queued UTF-8 bytes, at least (exact when no string is in doubt). */
  get atLeast(): number {
    return this.#bytes + this.#units;
  }

  /** Queued UTF-8 bytes, at most. */
  get atMost(): number {
    return this.#bytes + MAX_BYTES_PER_UNIT * this.#units;
  }

  /** Queued UTF-8 bytes, exactly (measures the strings in doubt). */
  exact(): number {
    const parts = this.#parts;
    if (this.#units > 0 && parts !== null) {
      let index = this.#measured;
      while (index < parts.length) {
        const part = parts[index];
        if (typeof part !== "string") {
          index++;
          continue;
        }
        // A run of strings is joined and measured at once (one call, not
        // one per event); the hand-over then joins fewer strings.
        let end = index + 1;
        while (end < parts.length && typeof parts[end] === "string") end++;
        if (end - index === 1) {
          this.#bytes += utf8Length(part);
        } else {
          const joined = parts.slice(index, end).join("");
          parts.splice(index, end - index, joined);
          this.#bytes += utf8Length(joined);
        }
        index++;
      }
      this.#measured = parts.length;
      this.#units = 0;
    }
    return this.#bytes;
  }

  push(part: string | Uint8Array): void {
    (this.#parts ??= spare.pop() ?? []).push(part);
    if (typeof part === "string") {
      this.#units += part.length;
    } else {
      this.#bytes += part.byteLength;
      this.#hasBytes = true;
    }
  }

  /** Empties the queue. */
  clear(): void {
    this.#parts = null;
    this.#measured = this.#bytes = this.#units = 0;
    this.#hasBytes = false;
  }

  /** Everything queued as one chunk; the queue is left empty. */
  take(): Uint8Array {
    const parts = this.#parts ?? [];
    const chunk = this.#join(parts);
    this.clear();
    // The array goes back to the spares, emptied: a new one per hand-over
    // was garbage on every stream at every event, and the scavenges it
    // caused were most of a fan-out's cost (bench/README.md). A long one (a
    // burst) is let go.
    if (parts.length <= REUSED_LENGTH && spare.length < MAX_SPARE) {
      parts.length = 0;
      spare.push(parts);
    }
    return chunk;
  }

  #join(parts: (string | Uint8Array)[]): Uint8Array {
    if (!this.#hasBytes) {
      const size = this.#bytes + this.#units;
      return encodeText(parts.length === 1 ? parts[0] as string : parts.join(""), size);
    }
    if (parts.length === 1) return parts[0] as Uint8Array;
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
