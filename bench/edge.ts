// edge-sse doing the same work: `await stream.send()` in a loop, or an idle
// stream with a heartbeat option and nothing else.

// Imported from src/ rather than mod.ts so that work in progress elsewhere in
// the module cannot break the benchmarks; it is the same function.
import type { SSEOptions } from "../src/options.ts";
import { sse } from "../src/sse.ts";
import { idleStream } from "./shapes.ts";
import { counters, payload, type Scenario, wallNow } from "./scenario.ts";

/** The second argument of Bun's fetch handler, for its per-request idle timeout. */
export type BunServer = SSEOptions["server"];

/** edge-sse's response for `scenario`; `respond` is the `sse()` to use (another revision's, for a baseline). */
export function edge(
  request: Request,
  scenario: Scenario,
  server: BunServer,
  respond: typeof sse = sse,
): Response {
  if (scenario.mode === "throughput") {
    const data = payload(scenario.size);
    return respond(request, async (stream) => {
      for (let i = 0; i < scenario.n; i++) {
        if (!await stream.send({ data })) return;
      }
    }, { server });
  }
  if (scenario.mode === "ttfb") {
    return respond(request, async (stream) => {
      await stream.send({ data: "hello" });
      await stream.closed;
    }, { server });
  }
  if (scenario.mode === "abort") {
    return respond(request, (stream) => {
      stream.signal.addEventListener("abort", () => {
        counters.aborts[scenario.id] = wallNow();
      });
      return stream.closed;
    }, { heartbeat: scenario.heartbeat, server });
  }
  // Idle: a handler shape users write (the least a handler can be by
  // default); the heartbeat is an option.
  return idleStream(request, scenario.shape, scenario.heartbeat, server);
}
