// The peer: Hono's streamSSE, written the way Hono's docs show it (awaited
// writeSSE, `while (!stream.aborted) { ...; await stream.sleep() }`).

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { counters, parseScenario, payload, wallNow } from "./scenario.ts";

/** The Hono app serving `/stream` for the `hono` contender. */
export const honoApp: Hono = new Hono();

honoApp.get("/stream", (c) => {
  const scenario = parseScenario(new URL(c.req.url));
  if (scenario.mode === "throughput") {
    const data = payload(scenario.size);
    return streamSSE(c, async (stream) => {
      for (let i = 0; i < scenario.n && !stream.aborted; i++) {
        await stream.writeSSE({ data });
      }
    });
  }
  if (scenario.mode === "ttfb") {
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ data: "hello" });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
    });
  }
  return streamSSE(c, async (stream) => {
    if (scenario.mode === "abort") {
      stream.onAbort(() => {
        counters.aborts[scenario.id] = wallNow();
      });
    }
    while (!stream.aborted) {
      await stream.write(": ping\n\n");
      counters.honoSleeping++;
      await stream.sleep(scenario.heartbeat);
      counters.honoSleeping--;
    }
  });
});
