/**
 * Runtime quirks, detected once from `navigator.userAgent` and kept here so
 * the rest of the code stays runtime-neutral.
 *
 * @module
 */

const userAgent: string = typeof navigator === "object" && typeof navigator?.userAgent === "string"
  ? navigator.userAgent
  : "";

/** Deno.serve: see {@linkcode clientSignal} and {@linkcode forceConnectionClose}. */
const isDeno = userAgent.startsWith("Deno/");

/**
 * Whether a timer belongs to the request that set it. On Cloudflare Workers
 * each request has its own I/O context, and a timer set while serving one
 * request runs in it and is cancelled with it, so streams cannot share one.
 */
export const timersBelongToRequests: boolean = userAgent === "Cloudflare-Workers";

/**
 * Whether the server cancels every response body the moment its client goes
 * away, so that the body's `cancel()` alone tells of it.
 *
 * Deno.serve aborts `request.signal` on normal completion too, and prints a
 * deprecation warning the first time a request's signal is read ("legacy
 * abort", denoland/deno#27005). It also cancels the response body within
 * milliseconds of a disconnect, so on Deno the body's `cancel()` alone is the
 * client signal and `request.signal` is never read.
 *
 * Bun.serve cancels the body within milliseconds of a disconnect too (since
 * Bun 1.1.27), and reading `request.signal` creates an `AbortSignal` per
 * request: an idle stream costs less without it (issue 16).
 */
const serverCancelsBodies = isDeno || userAgent.startsWith("Bun/");

/** Prototypes of requests from an adapter known to cancel bodies, by {@linkcode adapterCancelsBody}. */
const adapterPrototypes = new WeakMap<object, boolean>();

/**
 * Whether `request` comes from @hono/node-server (Node's fetch-style
 * adapter), which cancels the response body on a disconnect, from the same
 * `close` event of the response that aborts `request.signal` (2.1.9:
 * `writeFromReadableStream` and `makeCloseHandler`). Its requests make their
 * `AbortController` only when `signal` is first read: 793 heap bytes on Node
 * 20 (bench/README.md), as much as a stream's own state. Its request
 * prototype holds the adapter's `getAbortController` method, under a symbol
 * of that description; the answer is kept per prototype. An adapter that is
 * not recognised has its `request.signal` watched, as before.
 */
function adapterCancelsBody(request: Request): boolean {
  const prototype = Object.getPrototypeOf(request) as object | null;
  if (prototype === null || prototype === Request.prototype) return false;
  let known = adapterPrototypes.get(prototype);
  if (known === undefined) {
    known = Object.getOwnPropertySymbols(prototype)
      .some((symbol) => symbol.description === "getAbortController");
    adapterPrototypes.set(prototype, known);
  }
  return known;
}

/**
 * The signal to watch for `request`'s client going away, or `null` where
 * the body's `cancel()` tells of it alone (Deno.serve, Bun.serve and
 * @hono/node-server, see above): where it is not read, no runtime object is
 * made for it. Elsewhere (Node behind another adapter, workerd with
 * `enable_request_signal`) it is `request.signal`.
 */
export function clientSignal(request: Request): AbortSignal | null {
  return serverCancelsBodies || adapterCancelsBody(request) ? null : request.signal;
}

/**
 * Makes `Connection: close` really close the connection where the runtime
 * does not do it for the header alone.
 *
 * Deno.serve sends the header but keeps the socket open (measured on Deno
 * 2.9). It does close a connection whose body ends before its declared
 * length, after sending every byte and without logging anything (ending the
 * body with an error would also close it, but Deno.serve prints that error).
 * So on Deno an HTTP/1.1 response declares the largest length a client
 * accepts: the body is sent unchunked, and when the stream ends the socket
 * closes. Bun and Node honour the header and need nothing.
 *
 * HTTP/2 has no `Connection` header (Deno drops it, node:http2 refuses the
 * response) and a body shorter than its declared length is a stream error
 * there (`PROTOCOL_ERROR`), so an HTTP/2 stream gets neither: it just ends.
 */
export function forceConnectionClose(request: Request, headers: Headers): void {
  if (isHttp2(request)) {
    headers.delete("connection");
    return;
  }
  if (isDeno && !headers.has("content-length")) {
    headers.set("content-length", String(Number.MAX_SAFE_INTEGER));
  }
}

/**
 * Whether `request` came over HTTP/2 (or HTTP/3). Fetch-style servers do
 * not say, but HTTP/1.1 requests must carry `Host` (RFC 9112 §3.2) while
 * HTTP/2 clients send `:authority` instead (RFC 9113 §8.3.1): an HTTPS
 * request without `Host` is HTTP/2. A `Request` made in-process
 * (`new Request("http://localhost/")`) counts as HTTP/1.1. Cleartext HTTP/2
 * (h2c, node:http2's `createServer`) is not recognised.
 */
function isHttp2(request: Request): boolean {
  return !request.headers.has("host") && request.url.startsWith("https:");
}

/**
 * What a `Response` carrying an already-compressed body needs besides its
 * headers. workerd compresses a body itself when the response names a
 * `Content-Encoding` (its default `encodeBody: "automatic"`): on top of
 * ours, and holding every byte until the end (measured: the 10-byte gzip
 * header, then everything when the stream closes). `encodeBody: "manual"`
 * passes our flushed bytes through as they are.
 */
export const preEncodedBody: ResponseInit = timersBelongToRequests
  ? { encodeBody: "manual" } as ResponseInit
  : {};

/** A content coding that {@linkcode createCompressor} can produce. */
export type Encoding = "gzip" | "br" | "zstd" | "deflate";

/**
 * A streaming compressor that flushes every write: the bytes handed to
 * `output` for one write decode at once, with those before them, into
 * exactly that write's input. The calls below never throw; a failure
 * reaches `onError` (after which nothing more is output).
 */
export interface Compressor {
  /** Compresses and flushes `chunk`; calls `written` once its bytes went to `output`. */
  write(chunk: Uint8Array, written: () => void): void;
  /** Ends the compressed stream; calls `ended` after its last bytes went to `output`. */
  end(ended: () => void): void;
  /** Frees the compressor at once, without ending the compressed stream. */
  destroy(): void;
}

/** The parts of `node:zlib` used here (Node, Bun, Deno, and workerd with `nodejs_compat`). */
interface Zlib {
  constants: Record<string, number>;
  createGzip(options: object): ZlibStream;
  createDeflate(options: object): ZlibStream;
  createBrotliCompress(options: object): ZlibStream;
  createZstdCompress?(options: object): ZlibStream;
}

interface ZlibStream {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
  write(chunk: Uint8Array, callback: (error?: unknown) => void): boolean;
  end(): unknown;
  destroy(): unknown;
}

let zlib: Zlib | null | undefined;

/**
 * `node:zlib`, loaded on first use where the runtime has it, through
 * `process.getBuiltinModule` (synchronous, and invisible to bundlers, so a
 * worker built without `nodejs_compat` still builds).
 *
 * Why not `CompressionStream`: it holds its output until a block fills on
 * Bun, Node and workerd (a first event yields only the 10-byte gzip header),
 * and it has no flush. `node:zlib` flushes each write (`Z_SYNC_FLUSH`,
 * `BROTLI_OPERATION_FLUSH`, `ZSTD_e_flush`) on every runtime that has it,
 * Deno included, and lets the window be sized for many small streams.
 */
function loadZlib(): Zlib | null {
  if (zlib === undefined) {
    try {
      // deno-lint-ignore no-explicit-any
      const process = (globalThis as any).process;
      zlib = (process?.getBuiltinModule?.("node:zlib") as Zlib | undefined) ?? null;
    } catch {
      zlib = null;
    }
  }
  return zlib;
}

/**
 * The encodings this runtime can compress to, best first. Flushed after
 * every event, gzip and deflate come out as small as brotli and zstd or
 * smaller, with less CPU and memory per stream (bench/README.md): brotli
 * and zstd serve clients that accept nothing else.
 * Empty where `node:zlib` is missing (workerd without `nodejs_compat`,
 * Node before 20.16).
 */
export function compressionEncodings(): readonly Encoding[] {
  const z = loadZlib();
  if (z === null) return [];
  return z.createZstdCompress ? ["gzip", "deflate", "br", "zstd"] : ["gzip", "deflate", "br"];
}

/**
 * Window sizes for many long-lived small streams: events repeat their
 * envelope within a few KiB, so an 8 KiB deflate window (13 bits: a
 * quarter of zlib's default state per stream; memory per idle compressor in
 * bench/README.md, "Compression") and a 64 KiB brotli/zstd window compress
 * an event stream as well as the defaults.
 */
function zlibOptions(z: Zlib, encoding: Encoding): object {
  const c = z.constants;
  switch (encoding) {
    case "gzip":
    case "deflate":
      return { flush: c.Z_SYNC_FLUSH, windowBits: 13, memLevel: 6, chunkSize: 4096 };
    case "br":
      return {
        flush: c.BROTLI_OPERATION_FLUSH,
        chunkSize: 4096,
        params: {
          [c.BROTLI_PARAM_MODE]: c.BROTLI_MODE_TEXT,
          [c.BROTLI_PARAM_QUALITY]: 4,
          [c.BROTLI_PARAM_LGWIN]: 16,
        },
      };
    case "zstd":
      return {
        flush: c.ZSTD_e_flush,
        chunkSize: 4096,
        params: { [c.ZSTD_c_compressionLevel]: 3, [c.ZSTD_c_windowLog]: 16 },
      };
  }
}

/**
 * A flushing compressor for `encoding` (one of {@linkcode compressionEncodings}),
 * handing its bytes to `output` as they come.
 */
export function createCompressor(
  encoding: Encoding,
  output: (bytes: Uint8Array) => void,
  onError: (error: unknown) => void,
): Compressor {
  const z = loadZlib();
  if (z === null || !compressionEncodings().includes(encoding)) {
    throw new TypeError(`Cannot compress: no ${encoding} compressor in this runtime`);
  }
  const options = zlibOptions(z, encoding);
  const stream = encoding === "gzip"
    ? z.createGzip(options)
    : encoding === "deflate"
    ? z.createDeflate(options)
    : encoding === "br"
    ? z.createBrotliCompress(options)
    : z.createZstdCompress!(options);
  let failed = false;
  let ended: (() => void) | null = null;
  stream.on("data", (bytes) => {
    if (!failed) output(bytes);
  });
  stream.on("end", () => ended?.());
  stream.on("error", (error) => {
    if (failed) return;
    failed = true;
    onError(error);
  });
  return {
    write(chunk, written) {
      if (failed) return;
      stream.write(chunk, (error) => {
        if (error === undefined || error === null) written();
      });
    },
    end(callback) {
      if (failed) return;
      ended = callback;
      stream.end();
    },
    destroy() {
      failed = true;
      stream.destroy();
    },
  };
}
