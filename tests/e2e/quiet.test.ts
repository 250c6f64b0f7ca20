// A quiet stream (heartbeat off) on a real server with the runtime's default
// idle timeout: Bun.serve closes idle connections after 10 s unless the
// `server` option lifts the limit for the stream.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sse, type SSEStream } from "../../mod.ts";
import { delay, runtime, serve, type TestServer, within } from "../_server.ts";
import { readUntil } from "../_read.ts";

let server: TestServer;
const streams = new Map<string, SSEStream>();

before(async () => {
  server = await serve((request, bunServer) => {
    const withServer = new URL(request.url).pathname === "/with-server";
    return sse(request, (stream) => {
      streams.set(new URL(request.url).pathname, stream);
      return new Promise((resolve) => stream.signal.addEventListener("abort", resolve));
    }, { heartbeat: false, stallTimeout: false, ...(withServer ? { server: bunServer } : {}) });
  });
});

after(async () => {
  await server.close();
});

describe(`a quiet stream on ${runtime}'s default idle timeout`, () => {
  test("survives 12 s when the server option is passed", async () => {
    const controller = new AbortController();
    const quiet = await fetch(`${server.url}/with-server`, { signal: controller.signal });
    const unprotected = await fetch(`${server.url}/without-server`);
    const quietBody = await readUntil(quiet.body!, (t) => t === ":\n\n");
    const unprotectedBody = await readUntil(unprotected.body!, (t) => t === ":\n\n");
    const ended = unprotectedBody.reader.read().then(
      () => performance.now(),
      () => performance.now(),
    );
    const started = performance.now();
    // Bun checks its idle timeout every few seconds: measured here, an
    // unprotected stream is cut about 12 s after its last byte.
    await delay(runtime === "bun" ? 14_000 : 12_000);

    const stream = streams.get("/with-server")!;
    assert.equal(stream.signal.aborted, false, "the protected stream is still open");
    assert.equal(await stream.send("still here"), true);
    const { value } = await within(quietBody.reader.read(), 1000, "an event after 12 s");
    assert.equal(new TextDecoder().decode(value), "data: still here\n\n");

    const other = streams.get("/without-server")!;
    if (runtime === "bun") {
      // Bun.serve's default idleTimeout (10 s) cuts a stream nobody protects.
      const endedAfter = (await within(ended, 100, "the unprotected stream's end")) - started;
      assert.ok(endedAfter >= 9500 && endedAfter < 14_000, `cut after ${endedAfter} ms`);
      assert.equal(await within(other.closed, 1000, "closed"), "client");
    } else {
      assert.equal(other.signal.aborted, false, `${runtime} has no idle timeout on streams`);
      other.close();
    }
    controller.abort();
  });
});
