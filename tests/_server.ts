// Real servers for the tests: Deno.serve, Bun.serve or @hono/node-server,
// whichever runtime runs the suite, always on 127.0.0.1 and port 0.

export type Runtime = "deno" | "bun" | "node";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

/** The runtime running this test file. */
export const runtime: Runtime = globals.Deno ? "deno" : globals.Bun ? "bun" : "node";

/** The second argument a fetch handler gets (Bun's server; else undefined). */
// deno-lint-ignore no-explicit-any
export type Handler = (request: Request, server?: any) => Response | Promise<Response>;

/** Errors the runtime's server reported (Deno.serve's onError, Bun.serve's error), which it would otherwise print. */
export const serverErrors: unknown[] = [];

function recordServerError(error: unknown): Response {
  serverErrors.push(error);
  return new Response("server error", { status: 500 });
}

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Bun only: the server's idleTimeout in seconds (default: Bun's own, 10). */
  idleTimeout?: number;
}

/** Starts a real HTTP server of the current runtime. */
export async function serve(handler: Handler, options: ServeOptions = {}): Promise<TestServer> {
  if (runtime === "deno") {
    const controller = new AbortController();
    const server = globals.Deno.serve(
      {
        port: 0,
        hostname: "127.0.0.1",
        signal: controller.signal,
        onListen() {},
        onError: recordServerError,
      },
      (request: Request) => handler(request, undefined),
    );
    const port = server.addr.port;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      async close() {
        controller.abort();
        await Promise.race([server.finished, delay(2000)]);
      },
    };
  }
  if (runtime === "bun") {
    const server = globals.Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
      error: recordServerError,
      // deno-lint-ignore no-explicit-any
      fetch: (request: Request, bunServer: any) => handler(request, bunServer),
    });
    const port = server.port;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      async close() {
        await server.stop(true);
      },
    };
  }
  const { serve: nodeServe } = await import("@hono/node-server");
  return await new Promise((resolve) => {
    const server = nodeServe(
      { fetch: (request: Request) => handler(request, undefined), port: 0, hostname: "127.0.0.1" },
      (info: { port: number }) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              // deno-lint-ignore no-explicit-any
              (server as any).closeAllConnections?.();
              server.close(() => done());
            }),
        });
      },
    );
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`'s value, or rejects after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}
