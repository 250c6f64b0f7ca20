// The demo on Node, through @hono/node-server's fetch adapter:
// `npm run start:node` bundles this file with esbuild and runs it. PORT sets the port.
import process from "node:process";
import { serve } from "@hono/node-server";
import { app } from "./demo/app.ts";

const port = Number(process.env.PORT ?? 8000);

serve({ fetch: app.fetch, port, hostname: "localhost" }, () => {
  console.log(`edge-sse demo on Node: http://localhost:${port}/`);
});
