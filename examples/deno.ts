// The demo on Deno: deno run --allow-net --allow-env examples/deno.ts
// (`npm start` runs this through examples/demo/server.ts). PORT sets the port.
import { app } from "./demo/app.ts";

const port = Number(Deno.env.get("PORT") ?? 8000);

Deno.serve({
  port,
  hostname: "localhost",
  onListen: () => console.log(`edge-sse demo on Deno: http://localhost:${port}/`),
}, app.fetch);
