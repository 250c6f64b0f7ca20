/**
 * The edge-sse demo as one runtime-neutral fetch handler. `examples/deno.ts`,
 * `examples/bun.ts` and `examples/node.ts` serve it; so does any server that
 * calls `fetch(request, server?)`.
 *
 * Routes: `/` the page; the streams `/clock`, `/counter`, `/limited`,
 * `/metrics`, `/chat` and `/closes`; `POST /chat` to say something.
 *
 * @module
 */

import { Shutdown, sse, type SSEEvent, type SSEOptions } from "../../mod.ts";
import { ChatRoom } from "./chat.ts";
import { CloseLog } from "./closes.ts";
import { metrics } from "./metrics.ts";
import { renderPage } from "./page.ts";
import { clock, counter, limited } from "./streams.ts";

/** Timings of the demo; tests shorten them. */
export interface DemoOptions {
  /** Milliseconds between clock and counter events (default 1 000). */
  tick?: number;
  /** How long a `/limited` stream lives before the server closes it (default 10 000). */
  limit?: number;
  /** Milliseconds between `/metrics` samples (default 500). */
  sample?: number;
  /** The server's graceful shutdown (default: one of its own, as `app.shutdown`). */
  shutdown?: Shutdown;
}

/** A fetch handler. Bun passes its server as `server`; other runtimes pass other things. */
export interface DemoApp {
  fetch(request: Request, server?: unknown): Response | Promise<Response>;
  /** Every stream's shutdown: `app.shutdown.drain()` on SIGTERM. */
  readonly shutdown: Shutdown;
}

/** Written to every stream when the server shuts down; the page reconnects 2 s later. */
const RESTARTING: SSEEvent = {
  event: "restarting",
  data: "the server is restarting",
  retry: 2_000,
};

/** Creates the demo with its own close log and chat room. */
export function createApp(options: DemoOptions = {}): DemoApp {
  const tick = options.tick ?? 1_000;
  const limit = options.limit ?? 10_000;
  const sample = options.sample ?? 500;
  const closes = new CloseLog();
  const chat = new ChatRoom();
  const shutdown = options.shutdown ?? new Shutdown();

  return {
    shutdown,
    fetch(request: Request, server?: unknown): Response | Promise<Response> {
      const { pathname } = new URL(request.url);
      if (request.method === "POST" && pathname === "/chat") return chat.post(request);
      if (request.method !== "GET") {
        const allow = pathname === "/chat" ? "GET, POST" : "GET";
        return new Response("method not allowed\n", { status: 405, headers: { allow } });
      }
      // Bun closes a connection after 10 s without a byte (its default
      // idleTimeout); passing its server lets edge-sse lift that per stream.
      // Every stream ends on shutdown.drain(), saying so (a normal end does not).
      const base: SSEOptions = {
        server: bunServer(server),
        shutdown: shutdown.signal,
        close: { final: { shutdown: RESTARTING } },
      };
      switch (pathname) {
        case "/":
          return new Response(renderPage(runtimeName()), {
            headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
          });
        case "/clock":
          return sse(request, (stream) => {
            closes.track(pathname, stream);
            return clock(stream, tick);
          }, base);
        case "/counter":
          return sse(request, (stream) => counter(stream, tick, closes.track(pathname, stream)), {
            ...base,
            retry: 1_000,
          });
        case "/limited":
          return sse(
            request,
            (stream) => limited(stream, tick, limit, closes.track(pathname, stream)),
            {
              ...base,
              close: {
                maxDuration: limit,
                // Written before the server closes the stream; `retry` sets
                // how long the browser waits before it reconnects.
                final: {
                  "max-duration": {
                    event: "bye",
                    data: { reason: "max-duration", after: limit },
                    retry: 2_000,
                  },
                  shutdown: RESTARTING,
                },
              },
            },
          );
        case "/metrics":
          return sse(
            request,
            (stream) => metrics(stream, sample, closes.track(pathname, stream)),
            base,
          );
        case "/chat":
          // The handler resolves when the stream ends: the channel keeps it
          // until then, and replays what a reconnecting page missed.
          return sse(request, (stream) => {
            closes.track(pathname, stream);
            return chat.subscribe(stream);
          }, { ...base, retry: 2_000 });
        case "/closes":
          return sse(request, (stream) => closes.watch(stream), {
            ...base,
            close: { onReturn: false, final: { shutdown: RESTARTING } },
          });
        default:
          return new Response("not found\n", { status: 404 });
      }
    },
  };
}

/** The demo with its default timings. */
export const app: DemoApp = createApp();
export default app;

type BunServer = NonNullable<SSEOptions["server"]>;

function bunServer(server: unknown): BunServer | undefined {
  return typeof (server as BunServer | undefined)?.timeout === "function"
    ? server as BunServer
    : undefined;
}

function runtimeName(): string {
  if (typeof navigator === "object" && typeof navigator.userAgent === "string") {
    return navigator.userAgent;
  }
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
    ?.node;
  return node ? `Node.js/${node}` : "a web-standard runtime";
}
