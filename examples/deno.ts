// The demo on Deno: deno run --allow-net --allow-env examples/deno.ts
// (`npm start` runs this through examples/demo/server.ts). PORT sets the
// port (default 8000), HOST the address (default localhost; 0.0.0.0 for
// every interface). SIGTERM or Ctrl-C drains it: every stream gets a
// "restarting" event and ends, then the process exits.
import { app } from "./demo/app.ts";

const port = Number(Deno.env.get("PORT") ?? 8000);
const hostname = Deno.env.get("HOST") ?? "localhost";

const server = Deno.serve({
  port,
  hostname,
  onListen: ({ port }) => console.log(`edge-sse demo on Deno: http://${hostname}:${port}/`),
}, app.fetch);

async function drain(signal: string): Promise<void> {
  console.log(`${signal}: closing ${app.shutdown.open} streams`);
  const left = await app.shutdown.drain({ timeout: 5_000 });
  await server.shutdown(); // no stream left to wait for
  console.log(left === 0 ? "every stream ended; bye" : `${left} streams did not end in 5 s`);
  Deno.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => drain(signal));
}
