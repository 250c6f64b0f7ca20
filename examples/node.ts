// The demo on Node, through @hono/node-server's fetch adapter:
// `npm run start:node` bundles this file with esbuild and runs it. PORT sets
// the port (default 8000), HOST the address (default localhost). SIGTERM or
// Ctrl-C drains it: every stream gets a "restarting" event and ends.
import process from "node:process";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { app } from "./demo/app.ts";

const hostname = process.env.HOST ?? "localhost";

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 8000), hostname },
  (info: AddressInfo) => console.log(`edge-sse demo on Node: http://${hostname}:${info.port}/`),
);

async function drain(signal: string): Promise<void> {
  console.log(`${signal}: closing ${app.shutdown.open} streams`);
  const left = await app.shutdown.drain({ timeout: 5_000 });
  server.close(); // stops accepting; the streams have ended
  console.log(left === 0 ? "every stream ended; bye" : `${left} streams did not end in 5 s`);
  process.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => drain(signal));
