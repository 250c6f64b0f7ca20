// Imported first by each README block the tests run (see tests/_readme.ts):
// moves every server the block starts (Deno.serve, Bun.serve, or any Node
// server: @hono/node-server, node:http) to a free port on 127.0.0.1 and
// prints `README-LISTENING <port>` for the test to connect to.

// deno-lint-ignore-file no-explicit-any
const globals = globalThis as any;

/** The line the tests wait for. */
export const LISTENING = "README-LISTENING";

function announce(port: number): void {
  console.log(`${LISTENING} ${port}`);
}

if (globals.Deno) {
  const serve = globals.Deno.serve.bind(globals.Deno);
  globals.Deno.serve = (first: any, second?: any) => {
    const options = typeof first === "function" ? {} : first;
    const handler = typeof first === "function" ? first : second ?? first.handler;
    return serve({
      ...options,
      port: 0,
      hostname: "127.0.0.1",
      onListen: ({ port }: { port: number }) => announce(port),
    }, handler);
  };
} else if (globals.Bun) {
  const serve = globals.Bun.serve.bind(globals.Bun);
  globals.Bun.serve = (options: any) => {
    const server = serve({ ...options, port: 0, hostname: "127.0.0.1" });
    announce(server.port);
    return server;
  };
} else {
  const net = await import("node:net");
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: any, ...args: any[]) {
    this.once("listening", () => announce(this.address().port));
    if (typeof args[0] === "object" && args[0] !== null) {
      args[0] = { ...args[0], port: 0, host: "127.0.0.1" };
    } else {
      args[0] = 0;
      if (typeof args[1] === "string") args[1] = "127.0.0.1";
    }
    return listen.apply(this, args as any);
  } as any;
}

/** Serves a module's default export the way each runtime would (a Hono app, a Worker). */
export async function serveDefault(app: unknown): Promise<void> {
  if (typeof (app as any)?.fetch !== "function") return;
  const fetch = (app as any).fetch.bind(app);
  if (globals.Deno) globals.Deno.serve((request: Request) => fetch(request));
  else if (globals.Bun) {
    globals.Bun.serve({ fetch: (request: Request, server: unknown) => fetch(request, server) });
  } else {
    const { serve } = await import("@hono/node-server");
    serve({ fetch, port: 8000 });
  }
}
