import assert from "node:assert/strict";
import { test } from "node:test";
import { sse } from "../../mod.ts";

const isDeno = "Deno" in globalThis;
const options = { close: { connection: "close" as const } };

test("close.connection over HTTP/2 (an HTTPS request without Host) sets neither Connection nor a length", async () => {
  const response = sse(new Request("https://localhost/"), (stream) => stream.send("x"), options);
  assert.equal(response.headers.get("connection"), null);
  assert.equal(response.headers.get("content-length"), null);
  assert.equal(await response.text(), ":\n\ndata: x\n\n");
});

test("close.connection over HTTP/1.1 sets Connection: close (and on Deno the closing length)", async () => {
  for (
    const request of [
      new Request("https://localhost/", { headers: { host: "localhost" } }),
      new Request("http://localhost/"),
    ]
  ) {
    const response = sse(request, (stream) => stream.send("x"), options);
    assert.equal(response.headers.get("connection"), "close");
    assert.equal(
      response.headers.get("content-length"),
      isDeno ? String(Number.MAX_SAFE_INTEGER) : null,
    );
    await response.body?.cancel();
  }
});
