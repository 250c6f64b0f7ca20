/**
 * Per-event compression: the encoding negotiated from `Accept-Encoding`, and
 * a {@linkcode Sink} decorator that compresses every chunk the writer hands
 * it and flushes the compressor before passing the bytes on, so each event
 * is decodable by the client the moment it is sent.
 *
 * @module
 */

import {
  compressionEncodings,
  type Compressor,
  createCompressor,
  type Encoding,
  preEncodedBody,
} from "./runtime.ts";
import type { Sink, SinkOwner } from "./sink.ts";

export type { Encoding } from "./runtime.ts";

/**
 * The encoding to answer `acceptEncoding` with: among `available` (best
 * first), the one the client rates highest (`q`), ties going to the first;
 * `null` for identity (no header, nothing acceptable, or `q=0` for all).
 * A `*` rates every encoding it does not name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { negotiateEncoding } from "./compress.ts";
 *
 * const available = ["gzip", "br", "deflate"] as const;
 * assert.equal(negotiateEncoding("gzip, deflate, br, zstd", available), "gzip");
 * assert.equal(negotiateEncoding("deflate, gzip;q=0.5", available), "deflate");
 * assert.equal(negotiateEncoding("identity", available), null);
 * assert.equal(negotiateEncoding(null, available), null);
 * ```
 */
export function negotiateEncoding(
  acceptEncoding: string | null,
  available: readonly Encoding[] = compressionEncodings(),
): Encoding | null {
  if (acceptEncoding === null || available.length === 0) return null;
  const ratings = new Map<string, number>();
  for (const item of acceptEncoding.split(",")) {
    const [name, ...params] = item.split(";");
    const coding = name.trim().toLowerCase();
    if (coding === "") continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split("=");
      if (key.trim().toLowerCase() === "q") {
        const parsed = Number(value?.trim());
        q = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    ratings.set(coding, Math.max(ratings.get(coding) ?? 0, q));
  }
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const encoding of available) {
    const q = ratings.get(encoding) ?? ratings.get("*") ?? 0;
    if (q > bestQ) {
      best = encoding;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Sets the headers of a compressed response: `Content-Encoding`, and
 * `Vary: Accept-Encoding` (added to any `Vary` already there), and drops a
 * `Content-Length` (it would count the uncompressed bytes).
 */
export function setEncodingHeaders(headers: Headers, encoding: Encoding | null): void {
  const vary = headers.get("vary");
  if (vary === null) headers.set("vary", "accept-encoding");
  else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) {
    headers.set("vary", `${vary}, accept-encoding`);
  }
  if (encoding === null) return;
  headers.set("content-encoding", encoding);
  headers.delete("content-length");
}

/**
 * A {@linkcode Sink} that compresses into another. It is the inner sink's
 * owner: it passes the inner sink's demand on to the writer only once the
 * compressor has caught up, and each `write()` returns `false` (the writer
 * waits for `demand()`, coalescing what comes meanwhile into the next
 * chunk), so at most one chunk is in the compressor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { constants, gunzipSync } from "node:zlib";
 * import { CompressingSink } from "./compress.ts";
 *
 * const out: Uint8Array[] = [];
 * let demands = 0;
 * const sink = new CompressingSink({ demand: () => demands++, gone: () => {} }, "gzip", () => ({
 *   write: (chunk) => (out.push(chunk), true),
 *   close: () => {},
 *   abort: () => {},
 * }));
 * assert.equal(sink.write(new TextEncoder().encode("data: hi\n\n")), false);
 * await new Promise((resolve) => setTimeout(resolve, 50));
 * assert.equal(demands, 1);
 * // Flushed, not finished: everything sent so far decodes at once.
 * const bytes = new Uint8Array(out.flatMap((chunk) => [...chunk]));
 * const text = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
 * assert.equal(new TextDecoder().decode(text), "data: hi\n\n");
 * ```
 */
export class CompressingSink<S extends Sink = Sink> implements Sink, SinkOwner {
  #owner: SinkOwner;
  #inner: S;
  #compressor: Compressor;
  /**
   * Where the pipeline stands: a chunk in the compressor, the inner sink
   * full (waiting for its demand), both, neither, or ended.
   */
  #state: "ready" | "compressing" | "compressing-inner-full" | "inner-full" | "ended" = "ready";

  /** Compresses to `encoding` into the sink `makeInner` creates with this sink as its owner. */
  constructor(owner: SinkOwner, encoding: Encoding, makeInner: (owner: SinkOwner) => S) {
    this.#owner = owner;
    this.#inner = makeInner(this);
    this.#compressor = createCompressor(
      encoding,
      (bytes) => this.#output(bytes),
      (error) => this.#fail(error),
    );
  }

  /** The inner sink (for example the `WebSink` whose `body()` is the response's). */
  get inner(): S {
    return this.#inner;
  }

  write(chunk: Uint8Array): boolean {
    switch (this.#state) {
      case "ended":
        throw new TypeError("Cannot write: the stream has ended");
      case "ready":
        this.#state = "compressing";
        break;
      case "inner-full":
        this.#state = "compressing-inner-full";
    }
    this.#compressor.write(chunk, this.#written);
    return false;
  }

  close(): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    this.#compressor.end(() => this.#inner.close());
  }

  abort(reason: unknown): void {
    this.#state = "ended";
    this.#compressor.destroy();
    this.#inner.abort(reason);
  }

  /** Inner sink: the consumer wants bytes. */
  demand(): void {
    switch (this.#state) {
      case "compressing-inner-full":
        this.#state = "compressing";
        return;
      case "inner-full":
        this.#state = "ready";
        return this.#owner.demand();
      case "ready":
        return this.#owner.demand();
    }
  }

  /** Inner sink: the peer went away. */
  gone(cause: unknown): void {
    this.#owner.gone(cause);
  }

  #output(bytes: Uint8Array): void {
    let more: boolean;
    try {
      more = this.#inner.write(bytes);
    } catch (error) {
      return this.#fail(error);
    }
    if (!more && this.#state === "compressing") this.#state = "compressing-inner-full";
  }

  #written = (): void => {
    if (this.#state === "compressing") {
      this.#state = "ready";
      this.#owner.demand();
    } else if (this.#state === "compressing-inner-full") {
      this.#state = "inner-full";
    }
  };

  #fail(error: unknown): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    this.#compressor.destroy();
    this.#inner.abort(error);
    this.#owner.gone(error);
  }
}

export { compressionEncodings };

/**
 * How `sse()` opens the sink of a `compress: true` stream: the encoding is
 * negotiated from `request`'s `Accept-Encoding` and written into `headers`
 * (with `Vary`); for identity, or when the user set `Content-Encoding`
 * themselves, `open` is returned as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bodySink, compressedSink } from "./compress.ts";
 * import { type SinkOwner, WebSink } from "./sink.ts";
 *
 * const headers = new Headers();
 * const request = new Request("http://localhost/", { headers: { "accept-encoding": "gzip" } });
 * const open = compressedSink(request, headers, (owner: SinkOwner) => new WebSink(owner));
 * const sink = open({ demand() {}, gone() {} });
 * assert.equal(headers.get("content-encoding"), "gzip");
 * assert.ok(bodySink(sink).body() instanceof ReadableStream);
 * ```
 */
export function compressedSink<S extends Sink>(
  request: Request,
  headers: Headers,
  open: (owner: SinkOwner) => S,
): (owner: SinkOwner) => S | CompressingSink<S> {
  if (headers.has("content-encoding")) return open;
  const encoding = negotiateEncoding(request.headers.get("accept-encoding"));
  setEncodingHeaders(headers, encoding);
  if (encoding === null) return open;
  return (owner) => new CompressingSink(owner, encoding, open);
}

/** The sink that carries the body: `sink` itself, or the one a {@linkcode CompressingSink} writes into. */
export function bodySink<S extends Sink>(sink: S | CompressingSink<S>): S {
  return sink instanceof CompressingSink ? sink.inner : sink;
}

/**
 * What the `Response` of `sink` needs besides status and headers: for a
 * compressed body, that the runtime must not encode it again (workerd).
 */
export function bodyInit(sink: Sink): ResponseInit {
  return sink instanceof CompressingSink ? preEncodedBody : {};
}
