// `curl -N` against edge-sse on a real server of the runtime under test: the
// command the README gives to try a stream. Events print as they are sent,
// heartbeats show as comment lines.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createApp } from "../../examples/demo/app.ts";
import { sse } from "../../mod.ts";
import { curl } from "../_curl.ts";
import { runtime, serve, type TestServer } from "../_server.ts";

const HEARTBEAT = 200;
const TICK = 200;

let server: TestServer;
let demo: TestServer;
const printed = new Map<number, () => void>();
const sentAt: number[] = [];

/** Resolves once the test saw event `n` in curl's output (the test calls it). */
function seenByCurl(n: number): Promise<void> {
  return new Promise((resolve) => printed.set(n, resolve));
}

// deno-lint-ignore no-explicit-any
function handler(request: Request, bunServer?: any): Response {
  switch (new URL(request.url).pathname) {
    case "/gated":
      // Each event is sent only once curl has printed the one before (or after 2 s).
      return sse(request, async (stream) => {
        for (let n = 1; n <= 3; n++) {
          const seen = seenByCurl(n);
          sentAt[n] = performance.now();
          await stream.send({ event: "tick", id: n, data: { n } });
          await Promise.race([seen, stream.sleep(2000)]);
        }
      }, { server: bunServer });
    case "/quiet":
      return sse(request, async (stream) => {
        await stream.send({ event: "hello", data: "then silence" });
        await new Promise((resolve) => stream.signal.addEventListener("abort", resolve));
      }, { server: bunServer, heartbeat: { interval: HEARTBEAT, comment: "keep-alive" } });
    default:
      return new Response("not found", { status: 404 });
  }
}

before(async () => {
  [server, demo] = await Promise.all([
    serve(handler),
    serve(createApp({ tick: TICK }).fetch),
  ]);
});

after(async () => {
  await Promise.all([server?.close(), demo?.close()]);
});

describe(`curl -N against edge-sse on ${runtime}`, () => {
  test("prints each event before the server sends the next", async () => {
    const client = curl(["-N", "-s"], `${server.url}/gated`);
    try {
      for (let n = 1; n <= 3; n++) {
        const block = `event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`;
        const at = await client.waitFor(block, 1500);
        if (n < 3) assert.equal(sentAt[n + 1], undefined, `event ${n + 1} not sent yet`);
        assert.ok(at >= sentAt[n]);
        printed.get(n)!();
      }
      assert.equal(await client.exited, 0, "curl exits cleanly when the stream ends");
      assert.equal(
        client.output(),
        ":\n\n" +
          [1, 2, 3].map((n) => `event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`).join(""),
      );
    } finally {
      await client.stop();
    }
  });

  test("shows heartbeats as comment lines while the stream is quiet", async () => {
    const client = curl(["-N", "-s"], `${server.url}/quiet`);
    try {
      await client.waitFor("event: hello\ndata: then silence\n\n");
      const first = await client.waitFor(": keep-alive\n\n", HEARTBEAT * 4);
      const second = await client.waitFor(": keep-alive\n\n", HEARTBEAT * 4, 2);
      const gap = second - first;
      assert.ok(gap >= HEARTBEAT * 0.75, `heartbeats ${gap.toFixed(0)} ms apart`);
    } finally {
      await client.stop();
    }
  });

  test("the demo's /clock prints one time event per tick", async () => {
    const client = curl(["-N", "-s"], `${demo.url}/clock`);
    try {
      // The first event goes out at once, the next ones on each tick.
      const times: number[] = [];
      for (let n = 1; n <= 4; n++) times.push(await client.waitFor("event: time\n", TICK * 3, n));
      assert.ok(
        times[3] - times[0] >= TICK - 50,
        `printed as they came: ${times.map((t) => (t - times[0]).toFixed(0)).join(", ")} ms`,
      );
      assert.match(client.output(), /^:\n\nevent: time\ndata: \{"iso":"[0-9T:.Z-]+"\}\n\n/);
    } finally {
      await client.stop();
    }
  });
});
