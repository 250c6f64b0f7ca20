/**
 * The WHATWG "interpreting an event stream" algorithm as a synchronous state
 * machine: text or bytes in, dispatched events out through a callback. The
 * public `EventStreamParser` and the client wrap it.
 *
 * Every character is looked at a bounded number of times, so the time spent
 * is linear in the input however it is split into chunks (a 1 MiB line fed
 * one byte at a time costs the same as one 1 MiB chunk, plus the per-chunk
 * overhead).
 *
 * @module
 */

import { describe } from "../_validate.ts";
import type { ParserOptions, ServerSentEvent } from "./types.ts";

/** The default {@linkcode ParserOptions.maxEventSize}. */
export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024;

const BOM = "\uFEFF";
const DIGITS = /^[0-9]+$/;

/** The parser's state; `push` and `end` call `emit` with each dispatched event. */
export class Interpreter {
  /** The last event id, committed at each blank line (EventSource's "last event ID string"). */
  lastEventId = "";
  /** The last valid `retry:` value, if any. */
  retry: number | undefined = undefined;
  /**
   * The `id:` field of the event `emit` is called with (`undefined` if it
   * had none), where `lastEventId` may come from an earlier event.
   */
  eventId: string | undefined = undefined;

  #maxEventSize: number;
  #flushUnterminated: boolean;
  #onRetry: ((ms: number) => void) | undefined;
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #started = false;
  #afterCR = false;
  #line: string[] = [];
  #lineSize = 0;
  #data = "";
  #type = "";
  #idBuffer = "";
  #idField: string | undefined = undefined;

  constructor(options: ParserOptions = {}) {
    const { maxEventSize = DEFAULT_MAX_EVENT_SIZE, flushUnterminated = false, onRetry } = options;
    if (typeof maxEventSize !== "number" || !(maxEventSize >= 1)) {
      throw new RangeError(
        `Cannot create the parser: \`maxEventSize\` must be a positive number of characters (or Infinity), got ${
          String(maxEventSize)
        }`,
      );
    }
    if (typeof flushUnterminated !== "boolean") {
      throw new TypeError(
        `Cannot create the parser: \`flushUnterminated\` must be a boolean, got ${typeof flushUnterminated}`,
      );
    }
    if (onRetry !== undefined && typeof onRetry !== "function") {
      throw new TypeError(
        `Cannot create the parser: \`onRetry\` must be a function, got ${typeof onRetry}`,
      );
    }
    this.#maxEventSize = maxEventSize;
    this.#flushUnterminated = flushUnterminated;
    this.#onRetry = onRetry;
  }

  /**
   * Feeds a chunk. Bytes are decoded as UTF-8, with one leading byte order
   * mark stripped; strings are taken as already decoded text (the decoder
   * that made them, such as `TextDecoderStream`, has stripped the mark).
   */
  push(chunk: Uint8Array | string, emit: (event: ServerSentEvent) => void): void {
    let text: string;
    if (typeof chunk === "string") {
      text = this.#decoder.decode() + chunk;
      this.#started = true;
    } else if (chunk instanceof Uint8Array) {
      text = this.#decoder.decode(chunk, { stream: true });
      if (!this.#started) {
        if (text === "") return;
        this.#started = true;
        if (text.startsWith(BOM)) text = text.slice(1);
      }
    } else {
      throw new TypeError(
        `Cannot parse the event stream: chunks must be Uint8Array or string, got ${
          describe(chunk)
        }`,
      );
    }
    this.#lines(text, emit);
  }

  /** Ends the stream: an unterminated last event is discarded (or dispatched with `flushUnterminated`). */
  end(emit: (event: ServerSentEvent) => void): void {
    const rest = this.#decoder.decode();
    if (rest !== "") this.#lines(this.#started ? rest : rest.replace(/^\uFEFF/, ""), emit);
    if (this.#flushUnterminated) {
      if (this.#lineSize > 0) this.#field(this.#takeLine(""), emit);
      this.#dispatch(emit);
    }
    this.#line = [];
    this.#lineSize = 0;
    this.#data = this.#type = "";
  }

  /** Splits text into lines on CRLF, CR or LF; a CRLF may be split across chunks. */
  #lines(text: string, emit: (event: ServerSentEvent) => void): void {
    if (text === "") return;
    let start = 0;
    if (this.#afterCR && text.charCodeAt(0) === 10) start = 1;
    this.#afterCR = false;
    let cr = text.indexOf("\r", start);
    let lf = text.indexOf("\n", start);
    while (cr !== -1 || lf !== -1) {
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      const line = this.#takeLine(text.slice(start, end));
      if (end === cr && lf === end + 1) {
        start = end + 2;
      } else if (end === cr && end === text.length - 1) {
        this.#afterCR = true;
        start = end + 1;
      } else {
        start = end + 1;
      }
      if (cr !== -1 && cr < start) cr = text.indexOf("\r", start);
      if (lf !== -1 && lf < start) lf = text.indexOf("\n", start);
      this.#field(line, emit);
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      this.#line.push(rest);
      this.#lineSize += rest.length;
      this.#checkSize(0);
    }
  }

  #takeLine(last: string): string {
    if (this.#lineSize === 0) return last;
    this.#line.push(last);
    const line = this.#line.join("");
    this.#line = [];
    this.#lineSize = 0;
    return line;
  }

  /**
   * Starts a new stream (a reconnection): decoding and the event being read
   * start afresh; the last event id and `retry` carry over, as in an
   * `EventSource`, so a new connection that sends no `id` keeps the old one.
   */
  reset(): void {
    this.#decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    this.#started = this.#afterCR = false;
    this.#line = [];
    this.#lineSize = 0;
    this.#data = this.#type = "";
    this.#idBuffer = this.lastEventId;
    this.#idField = undefined;
  }

  /** Processes one complete line. */
  #field(line: string, emit: (event: ServerSentEvent) => void): void {
    if (line === "") return this.#dispatch(emit);
    const colon = line.indexOf(":");
    if (colon === 0) return; // a comment
    let name = line;
    let value = "";
    if (colon > 0) {
      name = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (name) {
      case "data":
        this.#checkSize(value.length + 1);
        this.#data += value + "\n";
        break;
      case "event":
        this.#type = value;
        this.#checkSize(0);
        break;
      case "id":
        if (!value.includes("\0")) this.#idBuffer = this.#idField = value;
        break;
      case "retry":
        if (DIGITS.test(value)) {
          this.retry = Number(value);
          this.#onRetry?.(this.retry);
        }
        break;
    }
  }

  #dispatch(emit: (event: ServerSentEvent) => void): void {
    this.lastEventId = this.#idBuffer;
    this.eventId = this.#idField;
    this.#idField = undefined;
    if (this.#data === "") {
      this.#type = "";
      return;
    }
    const event: ServerSentEvent = {
      type: this.#type === "" ? "message" : this.#type,
      data: this.#data.slice(0, -1),
      lastEventId: this.lastEventId,
    };
    this.#data = this.#type = "";
    emit(event);
  }

  #checkSize(adding: number): void {
    const size = this.#data.length + this.#type.length + this.#lineSize + adding;
    if (size > this.#maxEventSize) {
      throw new RangeError(
        `Cannot parse the event stream: an event is larger than maxEventSize (${this.#maxEventSize} characters); the upstream sent an oversized event or a line that never ends. Raise \`maxEventSize\` if such events are expected.`,
      );
    }
  }
}
