/**
 * The options of {@linkcode sse}, and their validation into a ready-to-use
 * configuration (events pre-serialised, defaults applied).
 *
 * @module
 */

import { formatComment, formatEvent, formatFor, formatRetry, type SSEEvent } from "./format.ts";
import type { SSEStream } from "./stream.ts";
import type { WriterOptions } from "./writer.ts";
import { type FinalEvents, type FinalTexts, resolveFinal } from "./final.ts";
import { checkKeys, checkSignal, positiveMs } from "./_validate.ts";

/** Heartbeat settings: an interval, and a comment or an event to send. */
export interface HeartbeatOptions {
  /** Milliseconds without any write before a heartbeat is sent. */
  interval: number;
  /** Comment text of the heartbeat (default: an empty comment, `:`). */
  comment?: string;
  /** An event to send instead of a comment, for clients that must see it. */
  event?: SSEEvent;
}

/** When and how the server ends a stream. */
export interface CloseOptions {
  /** End the stream when the handler settles or the iterable ends (default `true`). */
  onReturn?: boolean;
  /** Close after this many milliseconds, with reason `"max-duration"`. */
  maxDuration?: number;
  /** Close after this many milliseconds without an event (heartbeats and comments do not count), with reason `"idle"`. */
  idleTimeout?: number;
  /**
   * An event written before any close the server initiates (for example
   * `{ event: "bye", retry: 30000 }`), or one per close reason:
   * `{ shutdown: { event: "restarting", retry: 1000 } }` says goodbye on
   * shutdown only, not at the end of every stream.
   */
  final?: SSEEvent | FinalEvents;
  /** `"close"`: send `Connection: close` and close the connection when the stream ends (HTTP/1.1). */
  connection?: "close";
}

/**
 * Options of {@linkcode sse}.
 *
 * @example
 * ```ts
 * import { sse, type SSEOptions } from "@edge-sse/core";
 * import assert from "node:assert/strict";
 *
 * const options: SSEOptions = {
 *   heartbeat: 15_000,
 *   retry: 3_000,
 *   close: { maxDuration: 60 * 60_000, final: { event: "bye", data: "" } },
 * };
 * const response = sse(new Request("http://localhost/"), (stream) => stream.send("hi"), options);
 * // retry first, then the event, then the final event before the server closes
 * assert.equal(await response.text(), "retry: 3000\n\ndata: hi\n\nevent: bye\ndata: \n\n");
 * ```
 */
export interface SSEOptions {
  /** Heartbeat after this many quiet milliseconds (default 15 000), or settings, or `false` for none. */
  heartbeat?: number | false | HeartbeatOptions;
  /** Reconnection delay sent to the client first, on open (ms). */
  retry?: number;
  /** Extra response headers; they override the defaults. */
  headers?: ResponseInit["headers"];
  /** Response status (default 200). */
  status?: number;
  /** When the server ends the stream. */
  close?: CloseOptions;
  /** Bytes queued before `send()` waits for the client (default 65 536). */
  highWaterMark?: number;
  /** Hard cap on queued bytes (default: the larger of 1 MiB and 4 × `highWaterMark`). */
  maxBuffered?: number;
  /** Past `maxBuffered`: `"close"` the stream (default) or `"drop"` new events. */
  onSlowConsumer?: "close" | "drop";
  /**
   * Milliseconds that queued bytes may wait without the client reading any
   * before the stream ends with reason `"client"`: the fallback for runtimes
   * that do not report a vanished client (Cloudflare Workers). Default: twice
   * the heartbeat interval (the heartbeat is what gets queued on a quiet
   * stream); `false` to disable.
   *
   * A client that stops reading is seen only once the runtime stops taking
   * bytes: on loopback Deno, Bun and Node each took about 4 MiB (the
   * kernel's socket buffers) first, so detection takes that many bytes at
   * the producer's pace, plus `stallTimeout`. No runtime tells what the
   * client acknowledged, so a bound on unacknowledged bytes cannot shorten
   * it; the stream's body is then aborted, so the connection is dropped.
   */
  stallTimeout?: number | false;
  /** Aborting this signal closes the stream with reason `"shutdown"`. */
  shutdown?: AbortSignal;
  /** Bun's server (the fetch handler's second argument): lifts Bun's idle timeout for this stream. */
  server?: { timeout(request: Request, seconds: number): void };
  /**
   * Called when the handler fails; the event it returns (or resolves with:
   * it may be async, and is awaited up to 1 s) is sent before the stream
   * closes.
   */
  onError?: (
    error: unknown,
    stream: SSEStream,
  ) => SSEEvent | void | PromiseLike<SSEEvent | void>;
  /**
   * Compress the stream with the encoding the client's `Accept-Encoding`
   * asks for (gzip, brotli, zstd, deflate, where the runtime has node:zlib),
   * flushing every chunk so no event waits (default `false`: compressing
   * secrets next to text an attacker chooses can leak them, BREACH-style).
   */
  compress?: boolean;
}

/** Options after validation: what `sse()`, the writer and the timers read. */
export interface StreamConfig {
  /** The first bytes of every stream: the `retry` field, else an empty comment. */
  preamble: string;
  heartbeat: HeartbeatConfig | null;
  status: number;
  headers: Headers;
  onReturn: boolean;
  maxDuration: number;
  idleTimeout: number;
  final: FinalTexts | null;
  connectionClose: boolean;
  highWaterMark: number;
  maxBuffered: number;
  dropWhenFull: boolean;
  stallTimeout: number;
  shutdown: AbortSignal | null;
  server: SSEOptions["server"] | null;
  onError: SSEOptions["onError"] | null;
  compress: boolean;
}

/**
 * What a stream's heartbeat reads for its lifetime: shared by the streams of
 * a server with the same heartbeat (src/deadlines.ts keeps a reference, not
 * three fields per stream).
 */
export interface HeartbeatConfig {
  readonly interval: number;
  /** The heartbeat, encoded once. */
  readonly bytes: Uint8Array;
  /**
   * `stallTimeout` when the heartbeat's task also watches for a stalled
   * consumer (it is at least `interval`), else 0.
   */
  readonly stallLimit: number;
}

/**
 * A {@linkcode HeartbeatConfig}, the same object for the same values when the
 * heartbeat is the default comment (a custom one is encoded per call anyway).
 */
function heartbeatConfig(
  interval: number,
  bytes: Uint8Array,
  stallTimeout: number,
): HeartbeatConfig {
  const stallLimit = stallTimeout >= interval ? stallTimeout : 0;
  const key = bytes === EMPTY_COMMENT_BYTES ? `${interval} ${stallLimit}` : null;
  return shared(sharedHeartbeats, key, { interval, bytes, stallLimit });
}

/** Heartbeat configs shared by streams with the same values. */
const sharedHeartbeats = new Map<string, HeartbeatConfig>();

/**
 * The few fields of `config` the writer keeps for the stream's lifetime: its
 * own small object, not the whole config (whose `Headers` alone are hundreds
 * of bytes per stream; bench/README.md). Streams with the same values (and no
 * `close.final`) share one object: the writer only reads it, and a server's
 * streams mostly have the same options.
 */
export function writerOptions(config: StreamConfig): WriterOptions {
  const { preamble, highWaterMark, maxBuffered, dropWhenFull, final, idleTimeout } = config;
  const key = final === null
    ? `${highWaterMark} ${maxBuffered} ${dropWhenFull} ${idleTimeout} ${preamble}`
    : null;
  const options = { preamble, highWaterMark, maxBuffered, dropWhenFull, final, idleTimeout };
  return shared(sharedWriterOptions, key, options);
}

/** Writer options shared by streams with the same values (a few sets per server). */
const sharedWriterOptions = new Map<string, WriterOptions>();
const MAX_SHARED = 64;

/**
 * The object already kept for `key` in `cache`, else `made`, kept for the
 * next stream with the same values (while the cache holds fewer than
 * `MAX_SHARED`; a `null` key is never shared). Streams only read these, so
 * a server's streams with the same options hold one object between them.
 */
function shared<T>(cache: Map<string, T>, key: string | null, made: T): T {
  if (key === null) return made;
  const kept = cache.get(key);
  if (kept !== undefined) return kept;
  if (cache.size < MAX_SHARED) cache.set(key, made);
  return made;
}

/** How the errors of invalid options start. */
const CONTEXT = "Cannot start the stream";
/**
 * An empty comment: the first bytes of a stream without `retry`, and the
 * default heartbeat.
 */
export const EMPTY_COMMENT = ":\n\n";
/** The default heartbeat, encoded once for every stream. */
const EMPTY_COMMENT_BYTES = new TextEncoder().encode(EMPTY_COMMENT);
const DEFAULT_HEARTBEAT_INTERVAL = 15_000;
const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
const MIN_MAX_BUFFERED = 1024 * 1024;
const OPTION_KEYS = new Set([
  "heartbeat",
  "retry",
  "headers",
  "status",
  "close",
  "highWaterMark",
  "maxBuffered",
  "onSlowConsumer",
  "stallTimeout",
  "shutdown",
  "server",
  "onError",
  "compress",
]);
const HEARTBEAT_KEYS = new Set(["interval", "comment", "event"]);
const CLOSE_KEYS = new Set([
  "onReturn",
  "maxDuration",
  "idleTimeout",
  "final",
  "connection",
]);

/** Validates `options`, throwing a `TypeError` or `RangeError` that says what to fix. */
export function resolveOptions(options: SSEOptions = {}): StreamConfig {
  if (options === null || typeof options !== "object") {
    throw new TypeError("Cannot start the stream: `options` must be an object");
  }
  checkKeys(CONTEXT, options, OPTION_KEYS);
  const close = options.close ?? {};
  if (typeof close !== "object" || close === null) {
    throw new TypeError("Cannot start the stream: `close` must be an object");
  }
  checkKeys(CONTEXT, close, CLOSE_KEYS, "close.");
  const highWaterMark = count(options.highWaterMark, "highWaterMark") ??
    DEFAULT_HIGH_WATER_MARK;
  const maxBuffered = count(options.maxBuffered, "maxBuffered") ??
    Math.max(MIN_MAX_BUFFERED, 4 * highWaterMark);
  if (maxBuffered < highWaterMark) {
    throw new RangeError(
      `${CONTEXT}: \`maxBuffered\` (${maxBuffered}) must be at least \`highWaterMark\` (${highWaterMark})`,
    );
  }
  const onSlowConsumer = options.onSlowConsumer ?? "close";
  if (onSlowConsumer !== "close" && onSlowConsumer !== "drop") {
    throw new TypeError(
      `${CONTEXT}: \`onSlowConsumer\` must be "close" or "drop", got ${
        JSON.stringify(onSlowConsumer)
      }`,
    );
  }
  if (close.connection !== undefined && close.connection !== "close") {
    throw new TypeError(
      `${CONTEXT}: \`close.connection\` can only be "close", got ${
        JSON.stringify(close.connection)
      }`,
    );
  }
  if (close.onReturn !== undefined && typeof close.onReturn !== "boolean") {
    throw new TypeError("Cannot start the stream: `close.onReturn` must be a boolean");
  }
  const status = options.status ?? 200;
  if (
    !Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 205 ||
    status === 304
  ) {
    throw new RangeError(
      `${CONTEXT}: \`status\` must be an integer from 200 to 599 that allows a body, got ${status}; answer 204 with \`new Response(null, { status: 204 })\` to stop a client from reconnecting`,
    );
  }
  const shutdown = options.shutdown ?? null;
  if (shutdown !== null) checkSignal(CONTEXT, "shutdown", shutdown);
  const server = options.server ?? null;
  if (server !== null && typeof server.timeout !== "function") {
    throw new TypeError(
      "Cannot start the stream: `server` must have a `timeout(request, seconds)` method (Bun's server)",
    );
  }
  const onError = options.onError ?? null;
  if (onError !== null && typeof onError !== "function") {
    throw new TypeError("Cannot start the stream: `onError` must be a function");
  }
  if (options.compress !== undefined && typeof options.compress !== "boolean") {
    throw new TypeError("Cannot start the stream: `compress` must be a boolean");
  }
  const heartbeat = resolveHeartbeat(options.heartbeat);
  const stallTimeout = options.stallTimeout === false
    ? 0
    : options.stallTimeout === undefined
    ? (heartbeat ? 2 * heartbeat.interval : 0)
    : positiveMs(CONTEXT, "stallTimeout", options.stallTimeout);
  return {
    preamble: options.retry === undefined
      ? EMPTY_COMMENT
      : prefixed("retry", () => formatRetry(options.retry!)) + "\n",
    heartbeat: heartbeat === null
      ? null
      : heartbeatConfig(heartbeat.interval, heartbeat.bytes, stallTimeout),
    status,
    headers: responseHeaders(options.headers, close.connection === "close"),
    onReturn: close.onReturn ?? true,
    maxDuration: duration(close.maxDuration, "close.maxDuration"),
    idleTimeout: duration(close.idleTimeout, "close.idleTimeout"),
    final: resolveFinal(close.final, (name, event) => prefixed(name, () => formatEvent(event))),
    connectionClose: close.connection === "close",
    highWaterMark,
    maxBuffered,
    dropWhenFull: onSlowConsumer === "drop",
    stallTimeout,
    shutdown,
    server,
    onError,
    compress: options.compress ?? false,
  };
}

function resolveHeartbeat(
  heartbeat: SSEOptions["heartbeat"],
): { interval: number; bytes: Uint8Array } | null {
  if (heartbeat === false) return null;
  if (heartbeat === undefined) {
    return { interval: DEFAULT_HEARTBEAT_INTERVAL, bytes: EMPTY_COMMENT_BYTES };
  }
  if (typeof heartbeat === "number") {
    return { interval: positiveMs(CONTEXT, "heartbeat", heartbeat), bytes: EMPTY_COMMENT_BYTES };
  }
  if (typeof heartbeat !== "object" || heartbeat === null) {
    throw new TypeError(
      "Cannot start the stream: `heartbeat` must be a number of milliseconds, false, or { interval, comment?, event? }",
    );
  }
  checkKeys(CONTEXT, heartbeat, HEARTBEAT_KEYS, "heartbeat.");
  const interval = positiveMs(CONTEXT, "heartbeat.interval", heartbeat.interval);
  if (heartbeat.event !== undefined && heartbeat.comment !== undefined) {
    throw new TypeError(
      "Cannot start the stream: `heartbeat` takes a `comment` or an `event`, not both",
    );
  }
  const text = heartbeat.event !== undefined
    ? prefixed("heartbeat.event", () => formatEvent(heartbeat.event!))
    : prefixed("heartbeat.comment", () => formatComment(heartbeat.comment ?? "")) + "\n";
  return { interval, bytes: new TextEncoder().encode(text) };
}

function responseHeaders(init: ResponseInit["headers"], connectionClose: boolean): Headers {
  const headers = new Headers({
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
  });
  if (connectionClose) headers.set("connection", "close");
  if (init !== undefined) {
    new Headers(init).forEach((value, name) => headers.set(name, value));
  }
  return headers;
}

function duration(value: unknown, name: string): number {
  return value === undefined ? 0 : positiveMs(CONTEXT, name, value);
}

function count(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${CONTEXT}: \`${name}\` must be a non-negative whole number of bytes, got ${String(value)}`,
    );
  }
  return value;
}

/** Runs a formatter of format.ts with its errors naming the option `name`. */
function prefixed<T>(name: string, make: () => T): T {
  return formatFor(`start the stream: invalid \`${name}\``, make);
}
