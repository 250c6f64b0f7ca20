// The demo on Bun: bun examples/bun.ts (or `npm run start:bun`). PORT sets the
// port (default 8000), HOST the address (default localhost). SIGTERM or
// Ctrl-C drains it: every stream gets a "restarting" event and ends.
import { app } from "./demo/app.ts";

// Bun's globals, typed just enough for this file.
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
  }): { port: number; stop(closeActive?: boolean): Promise<void> };
};
declare const process: {
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
};

const hostname = Bun.env.HOST ?? "localhost";

// Bun passes its server as the second argument of fetch; the app hands it to
// sse() as the `server` option, which lifts Bun's 10 s idle timeout for each
// stream (quiet streams such as /closes would be cut after 10 s otherwise).
const server = Bun.serve({ port: Number(Bun.env.PORT ?? 8000), hostname, fetch: app.fetch });
console.log(`edge-sse demo on Bun: http://${hostname}:${server.port}/`);

async function drain(signal: string): Promise<void> {
  console.log(`${signal}: closing ${app.shutdown.open} streams`);
  const left = await app.shutdown.drain({ timeout: 5_000 });
  await server.stop();
  console.log(left === 0 ? "every stream ended; bye" : `${left} streams did not end in 5 s`);
  process.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => drain(signal));
