// Hono routes in-process (app.fetch, no server): what the adapter does with
// the env a runtime passes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { sseHandler } from "../../hono.ts";

describe("Bun's server in c.env", () => {
  function fakeBunServer() {
    const calls: [Request, number][] = [];
    return {
      calls,
      timeout(request: Request, seconds: number) {
        calls.push([request, seconds]);
      },
      upgrade() {
        return false;
      },
      publish() {
        return 0;
      },
    };
  }
  const app = new Hono();
  app.get("/events", sseHandler((stream) => stream.send("x")));

  test("as c.env or c.env.server, it has the idle timeout lifted for the stream", async () => {
    for (const wrap of [(s: object) => s, (s: object) => ({ server: s, DB: {} })]) {
      const bun = fakeBunServer();
      const request = new Request("http://localhost/events");
      const response = await app.fetch(request, wrap(bun));
      assert.equal(await response.text(), ":\n\ndata: x\n\n");
      assert.equal(bun.calls.length, 1);
      assert.equal(bun.calls[0][0], request);
      assert.equal(bun.calls[0][1], 0);
    }
  });

  test("other envs are left alone and options.server wins", async () => {
    const response = await app.fetch(new Request("http://localhost/events"), {
      timeout: () => {
        throw new Error("not a Bun server");
      },
    });
    assert.equal(await response.text(), ":\n\ndata: x\n\n");

    const bun = fakeBunServer();
    const mine = fakeBunServer();
    const own = new Hono();
    own.get("/", sseHandler((stream) => stream.send("y"), { server: mine }));
    await (await own.fetch(new Request("http://localhost/"), bun)).text();
    assert.equal(bun.calls.length, 0);
    assert.equal(mine.calls.length, 1);
  });
});
