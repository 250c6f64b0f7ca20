// A minimal HTTP/1.1 response reader for the bench client: status line and
// headers, then the body (chunked, content-length or until close) handed on
// as views into the received buffers, without copies.

const CR = 13;
const LF = 10;

type State = "head" | "size" | "data" | "data-crlf" | "trailer" | "raw" | "done";

/** Feeds on socket buffers; calls `onBody` with each piece of the decoded body. */
export class ResponseReader {
  status = 0;
  headers: Record<string, string> = {};
  #state: State = "head";
  #line = "";
  #left = 0;
  #onBody: (piece: Uint8Array) => void;

  constructor(onBody: (piece: Uint8Array) => void) {
    this.#onBody = onBody;
  }

  /** Whether the status line and headers have arrived. */
  get headersDone(): boolean {
    return this.#state !== "head";
  }

  /** Whether the whole body has arrived (chunked terminator or declared length). */
  get done(): boolean {
    return this.#state === "done";
  }

  push(buffer: Uint8Array): void {
    let i = 0;
    const length = buffer.length;
    while (i < length) {
      switch (this.#state) {
        case "head":
        case "size":
        case "trailer": {
          const end = buffer.indexOf(LF, i);
          const stop = end < 0 ? length : end;
          this.#line += latin1(buffer, i, stop);
          i = stop;
          if (end < 0) break;
          i++;
          this.#endLine(this.#line.endsWith("\r") ? this.#line.slice(0, -1) : this.#line);
          this.#line = "";
          break;
        }
        case "data": {
          const take = Math.min(this.#left, length - i);
          this.#onBody(buffer.subarray(i, i + take));
          i += take;
          this.#left -= take;
          if (this.#left === 0) this.#state = "data-crlf";
          break;
        }
        case "data-crlf":
          if (buffer[i] === LF) this.#state = "size";
          else if (buffer[i] !== CR) throw new Error("bad chunk end");
          i++;
          break;
        case "raw": {
          const take = this.#left >= 0 ? Math.min(this.#left, length - i) : length - i;
          this.#onBody(buffer.subarray(i, i + take));
          i += take;
          if (this.#left >= 0) {
            this.#left -= take;
            if (this.#left === 0) this.#state = "done";
          }
          break;
        }
        case "done":
          return;
      }
    }
  }

  #endLine(line: string): void {
    if (this.#state === "head") {
      if (this.status === 0) {
        this.status = Number(line.split(" ")[1]);
      } else if (line !== "") {
        const colon = line.indexOf(":");
        this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      } else if (this.headers["transfer-encoding"]?.includes("chunked")) {
        this.#state = "size";
      } else {
        const declared = this.headers["content-length"];
        this.#left = declared === undefined ? -1 : Number(declared);
        this.#state = this.#left === 0 ? "done" : "raw";
      }
    } else if (this.#state === "size") {
      const size = parseInt(line, 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size ${JSON.stringify(line)}`);
      if (size === 0) this.#state = "trailer";
      else {
        this.#left = size;
        this.#state = "data";
      }
    } else if (line === "") {
      this.#state = "done";
    }
  }
}

function latin1(buffer: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(buffer[i]);
  return text;
}

/**
 * Counts event ends (a blank line: LF LF) in a body delivered in pieces,
 * including one split across two pieces. The client must not be what limits
 * a fast stream: small events are found with TypedArray `indexOf` (a cheap
 * call), large ones with Node's `Buffer#indexOf` (memchr, but a costly call).
 */
export class EventCounter {
  events = 0;
  bytes = 0;
  #lastWasLF = false;
  #gap = 0;

  count(piece: Uint8Array): void {
    const length = piece.length;
    if (length === 0) return;
    this.bytes += length;
    if (this.#lastWasLF && piece[0] === LF) this.events++;
    let from = 0;
    while (from < length) {
      const at = this.#gap < LARGE ? indexOfSmall(piece, from) : piece.indexOf(LF, from);
      if (at < 0 || at + 1 >= length) break;
      if (piece[at + 1] === LF) {
        this.events++;
        this.#gap = at - from;
        from = at + 2;
      } else {
        from = at + 1;
      }
    }
    this.#lastWasLF = piece[length - 1] === LF;
  }
}

/** Events larger than this are searched with memchr. */
const LARGE = 256;
const typedIndexOf = Uint8Array.prototype.indexOf;

function indexOfSmall(piece: Uint8Array, from: number): number {
  return typedIndexOf.call(piece, LF, from);
}
