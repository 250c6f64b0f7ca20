// A Hono app with an edge-sse route, bundled into one file by build.mjs to
// show what edge-sse adds to a Worker.
//
//   GET /              plain text
//   GET /count/:to     events 1..to, one every 100 ms, then the stream ends
import { Hono } from "hono";
import { sseHandler } from "edge-sse/hono";

const app = new Hono();

app.get("/", (c) => c.text("GET /count/5 for a stream of five events\n"));

app.get(
  "/count/:to",
  sseHandler<{ Bindings: Record<string, never> }, "/count/:to">(async (stream, c) => {
    const to = Math.min(Number(c.req.param("to")) || 0, 1000);
    for (let n = 1; n <= to; n++) {
      if (!await stream.send({ event: "count", id: n, data: n })) return;
      await stream.sleep(100);
    }
  }, { heartbeat: 15_000 }),
);

export default app;
