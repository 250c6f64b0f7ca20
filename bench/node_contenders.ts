// Contenders on Node's own server (node:http), for the throughput benchmark
// on Node: better-sse, the closest peer, and edge-sse's Node entry. Both
// write the same stream as the others (`/stream?c=...&mode=throughput`).

import type { IncomingMessage, ServerResponse } from "node:http";
import { once } from "node:events";
import { createSession } from "better-sse";
import { sse } from "../src/node/sse.ts";
import { parseScenario, payload, type Scenario } from "./scenario.ts";

/** Serves `req` if it asks for a Node contender; `false` otherwise (the fetch adapter serves it). */
export function nodeContender(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const contender = url.searchParams.get("c");
  if (url.pathname !== "/stream" || (contender !== "better-sse" && contender !== "edge-sse-node")) {
    return false;
  }
  const scenario = parseScenario(url);
  if (scenario.mode !== "throughput") {
    res.writeHead(400).end(`${contender}: throughput only`);
  } else if (contender === "better-sse") {
    betterSse(req, res, scenario).catch(() => res.destroy());
  } else {
    const data = payload(scenario.size);
    sse(req, res, async (stream) => {
      for (let i = 0; i < scenario.n; i++) {
        if (!await stream.send({ data })) return;
      }
    });
  }
  return true;
}

/**
 * better-sse has no backpressure of its own (`push()` writes at once): the
 * loop waits for `'drain'` when `res.write()` said so, as a careful user
 * would; without it, 200 000 events pile up in memory. Data is sent as is
 * (its default serializer would add JSON quotes).
 */
async function betterSse(req: IncomingMessage, res: ServerResponse, scenario: Scenario) {
  const data = payload(scenario.size);
  const session = await createSession(req, res, { keepAlive: null, serializer: String });
  for (let i = 0; i < scenario.n && session.isConnected; i++) {
    session.push(data);
    if (res.writableNeedDrain) await once(res, "drain");
  }
  res.end();
}
