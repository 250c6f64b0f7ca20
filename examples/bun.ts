// The demo on Bun: bun examples/bun.ts (or `npm run start:bun`). PORT sets the port.
import { app } from "./demo/app.ts";

// Bun's global, typed just enough for this file.
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
  }): unknown;
};

const port = Number(Bun.env.PORT ?? 8000);

// Bun passes its server as the second argument of fetch; the app hands it to
// sse() as the `server` option, which lifts Bun's 10 s idle timeout for each
// stream (quiet streams such as /closes would be cut after 10 s otherwise).
Bun.serve({ port, hostname: "localhost", fetch: app.fetch });
console.log(`edge-sse demo on Bun: http://localhost:${port}/`);
