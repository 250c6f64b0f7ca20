// A resumable counter for reconnection tests: three numbered events per
// connection, starting after Last-Event-ID, then the stream ends; once the
// client has id `last`, the answer is 204 (stop reconnecting).
import { sse } from "../mod.ts";

/** One request: the Last-Event-ID header it carried, when it came and when its stream ended. */
export interface Visit {
  lastEventId: string | null;
  at: number;
  closedAt?: number;
}

export interface ResumeRoute {
  /** Every request so far. */
  visits: Visit[];
  // deno-lint-ignore no-explicit-any
  handle(request: Request, bunServer?: any): Response;
}

/** The route, with `retry` sent on open; 204 once the client has `last`. */
export function resumeRoute(retry: number, last = 9): ResumeRoute {
  const visits: Visit[] = [];
  return {
    visits,
    handle(request, bunServer) {
      const visit: Visit = {
        lastEventId: request.headers.get("last-event-id"),
        at: performance.now(),
      };
      visits.push(visit);
      const from = Number(visit.lastEventId ?? 0);
      if (from >= last) return new Response(null, { status: 204 });
      return sse(request, async (stream) => {
        stream.closed.then(() => visit.closedAt = performance.now());
        for (let id = from + 1; id <= from + 3; id++) await stream.send({ id, data: `n${id}` });
      }, { retry, server: bunServer });
    },
  };
}

/** The `[lastEventId, data]` pairs a client must have seen, from 1 to `last`. */
export function expectedCounts(last = 9): [string, string][] {
  return Array.from({ length: last }, (_, i) => [String(i + 1), `n${i + 1}`]);
}

/** Milliseconds between each stream's end and the next request. */
export function reconnectDelays(visits: Visit[]): number[] {
  return visits.slice(1).map((visit, i) => visit.at - visits[i].closedAt!);
}
