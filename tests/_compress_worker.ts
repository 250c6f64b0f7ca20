// A worker for the compression test on workerd: five events 300 ms apart,
// with `compress: true`.
import { sse } from "edge-sse";

export default {
  fetch(request: Request): Response {
    return sse(request, async (stream) => {
      for (let n = 1; n <= 5; n++) {
        await stream.send({ id: n, data: { n, text: "the same envelope every time" } });
        await stream.sleep(300);
      }
    }, { compress: true, heartbeat: false });
  },
};
