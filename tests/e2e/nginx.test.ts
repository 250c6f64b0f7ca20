// edge-sse behind a real nginx (proxy_buffering on, its default;
// proxy_read_timeout 3s), upstream over HTTP/1.0 (nginx's default) and 1.1:
// events are not held back, and heartbeats keep a quiet stream open past the
// read timeout.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sse, type SSEStream } from "../../mod.ts";
import { type Nginx, startNginx } from "../_nginx.ts";
import { runtime, serve, type TestServer, within } from "../_server.ts";
import { BodyReader } from "../_read.ts";

const READ_TIMEOUT = 3000;
const VERSIONS = ["http1.0", "http1.1"];

let server: TestServer;
let nginx: Nginx;
const gates = new Map<string, { open: () => void; opened: Promise<void> }>();
const quiet = new Map<string, SSEStream>();
const closedAt = new Map<SSEStream, number>();

/** A gate the server waits at and the test opens, by name. */
function gate(name: string): { open: () => void; opened: Promise<void> } {
  let entry = gates.get(name);
  if (!entry) {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => open = resolve);
    entry = { open, opened };
    gates.set(name, entry);
  }
  return entry;
}

// deno-lint-ignore no-explicit-any
function handler(request: Request, bunServer?: any): Response {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/gated": {
      // Each event waits until the client has read the one before.
      const key = url.searchParams.get("key");
      return sse(request, async (stream) => {
        for (let n = 1; n <= 3; n++) {
          const { opened } = gate(`${key}:${n}`);
          await stream.send({ id: n, data: `event ${n}` });
          await Promise.race([opened, stream.sleep(2000)]);
        }
      }, { server: bunServer });
    }
    case "/buffered":
      // The same stream with the header turned back on: nginx buffers it.
      return sse(request, async (stream) => {
        await stream.send({ id: 1, data: "event 1" });
        await stream.sleep(1200);
      }, { server: bunServer, headers: { "x-accel-buffering": "yes" } });
    case "/quiet": {
      // An event, 4 s of silence (heartbeats aside), another event; then held open.
      const interval = Number(url.searchParams.get("heartbeat"));
      const key = url.searchParams.get("key")!;
      return sse(request, async (stream) => {
        quiet.set(key, stream);
        stream.closed.then(() => closedAt.set(stream, performance.now()));
        await stream.send({ event: "first", data: "before the silence" });
        if (await stream.sleep(READ_TIMEOUT + 1000)) {
          await stream.send({ event: "after", data: "after the silence" });
        }
        await new Promise((resolve) => stream.signal.addEventListener("abort", resolve));
      }, { server: bunServer, heartbeat: interval > 0 ? interval : false });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}

before(async () => {
  server = await serve(handler);
  nginx = await startNginx(server.port, `${READ_TIMEOUT / 1000}s`);
});

after(async () => {
  await nginx?.close();
  await server?.close();
});

describe(`edge-sse on ${runtime} behind nginx (proxy_buffering on)`, () => {
  for (const version of VERSIONS) {
    test(`${version} upstream: each event arrives while the server waits for it to be read`, async () => {
      const response = await fetch(`${nginx.url}/${version}/gated?key=${version}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const reader = new BodyReader(response.body!);
      try {
        for (let n = 1; n <= 3; n++) {
          const [event] = await within(
            reader.take(1),
            1500,
            `event ${n} through nginx (held back by proxy buffering?)`,
          );
          assert.equal(event.data, `event ${n}`);
          gate(`${version}:${n}`).open();
        }
      } finally {
        await reader.cancel();
      }
    });
  }

  test("http1.0 upstream without X-Accel-Buffering: no, nginx holds an event back", async () => {
    const started = performance.now();
    const reader = new BodyReader((await fetch(`${nginx.url}/http1.0/buffered`)).body!);
    const [event] = await reader.take(1, 3000);
    const waited = event.at - started;
    assert.equal(event.data, "event 1");
    assert.ok(waited >= 1000, `sent at once, the event arrived after ${waited.toFixed(0)} ms`);
    await reader.cancel();
  });

  test("heartbeats keep a quiet stream open past proxy_read_timeout (3 s)", async () => {
    // Per upstream version, the same stream with and without heartbeats.
    const paths = VERSIONS.flatMap((version) =>
      [1000, 0].map((heartbeat) =>
        `/${version}/quiet?heartbeat=${heartbeat}&key=${version}:${heartbeat}`
      )
    );
    const started = performance.now();
    const readers = await Promise.all(
      paths.map(async (path) => new BodyReader((await fetch(nginx.url + path)).body!)),
    );
    try {
      for (const reader of readers) assert.equal((await reader.take(1))[0].event, "first");
      for (const [i, version] of VERSIONS.entries()) {
        const beating = readers[2 * i];
        const [after] = await beating.take(1, READ_TIMEOUT + 3000);
        assert.equal(after.event, "after", `${version}: the event after the silence`);
        assert.ok(after.at - started >= READ_TIMEOUT, "the silence outlasted the timeout");
        assert.equal(quiet.get(`${version}:1000`)!.signal.aborted, false, "still open");

        // Without heartbeats, nginx gave up on the stream after 3 s.
        const cut = quiet.get(`${version}:0`)!;
        assert.equal(
          await within(cut.closed, 100, `${version}: the silent stream's end`),
          "client",
        );
        const cutAfter = closedAt.get(cut)! - started;
        assert.ok(
          cutAfter >= READ_TIMEOUT - 200 && cutAfter < READ_TIMEOUT + 1000,
          `${version}: nginx cut the silent stream after ${cutAfter.toFixed(0)} ms`,
        );
        const tail = await readers[2 * i + 1].takeRest(1000).catch(() => []);
        assert.deepEqual(tail, [], `${version}: nothing after the cut`);
      }
      assert.match(nginx.errorLog(), /upstream timed out/);
    } finally {
      await Promise.all(readers.map((reader) => reader.cancel()));
    }
  });
});
