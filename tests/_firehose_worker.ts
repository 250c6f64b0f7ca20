// A worker for the stalled-consumer test: it writes 16 KiB events as fast as
// the client takes them, and reports on /stats how its streams ended.
import { type CloseReason, sse } from "edge-sse";

const closed: { reason: CloseReason; at: number; sent: number }[] = [];
const opened: number[] = [];
const chunk = "x".repeat(16 * 1024);

export default {
  fetch(request: Request): Response {
    if (new URL(request.url).pathname === "/stats") return Response.json({ opened, closed });
    return sse(request, async (stream) => {
      opened.push(Date.now());
      let sent = 0;
      stream.closed.then((reason) => closed.push({ reason, at: Date.now(), sent }));
      while (await stream.send({ data: chunk })) sent++;
    }, { highWaterMark: 16 * 1024, heartbeat: 200, stallTimeout: 500 });
  },
};
