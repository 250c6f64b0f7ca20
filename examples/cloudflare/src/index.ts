// A Cloudflare Worker streaming Server-Sent Events with edge-sse.
//
//   GET /events   a tick every TICK_MS, resumed from Last-Event-ID after a
//                 reconnect, closed after MAX_DURATION_MS
//   GET /stats    streams open on this isolate, and why the others ended
import { type CloseReason, sse } from "edge-sse";

interface Env {
  TICK_MS: string;
  HEARTBEAT_MS: string;
  MAX_DURATION_MS: string;
}

const stats: { open: number; closed: Partial<Record<CloseReason, number>> } = {
  open: 0,
  closed: {},
};

function ticks(request: Request, env: Env): Response {
  return sse(request, async (stream) => {
    stats.open++;
    stream.closed.then((reason) => {
      stats.open--;
      stats.closed[reason] = (stats.closed[reason] ?? 0) + 1;
    });
    let n = Number(stream.lastEventId ?? 0) || 0;
    while (
      await stream.send({ event: "tick", id: ++n, data: { n, at: Date.now() } })
    ) {
      await stream.sleep(Number(env.TICK_MS));
    }
  }, {
    retry: 2_000,
    heartbeat: Number(env.HEARTBEAT_MS),
    close: {
      maxDuration: Number(env.MAX_DURATION_MS),
      final: { event: "bye" },
    },
  });
}

export default {
  fetch(request: Request, env: Env): Response {
    const { pathname } = new URL(request.url);
    if (pathname === "/events") return ticks(request, env);
    if (pathname === "/stats") return Response.json(stats);
    return new Response(
      "GET /events for a stream of ticks, /stats for the streams\n",
      {
        status: 404,
      },
    );
  },
};
