// The Node entry on node:http2's compatibility API (http2.createSecureServer
// with a self-signed certificate made by openssl), read by node:http2's
// client, under whichever runtime runs the suite where it implements both.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createSecureServer, type Http2SecureServer } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CloseReason, SSEOptions, SSEStream } from "../../mod.ts";
import { sse } from "../../node.ts";
import { runtime, within } from "../_server.ts";

/** A self-signed certificate for 127.0.0.1, valid for a day. */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "edge-sse-h2-"));
  try {
    execFileSync("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
      ...["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ], { stdio: "ignore" });
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GETs `path` over HTTP/2; resolves with the status, headers and the whole body. */
function get(
  origin: string,
  path: string,
  until?: (text: string) => boolean,
): Promise<{ status: number; headers: Record<string, unknown>; text: string; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const session = connect(origin, { rejectUnauthorized: false });
    session.on("error", reject);
    const request = session.request({ ":path": path });
    let headers: Record<string, unknown> = {};
    let text = "";
    const finish = (ended: boolean) => {
      resolve({ status: Number(headers[":status"]), headers, text, ended });
      request.close();
      session.close();
    };
    request.on("response", (received) => headers = received);
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      text += chunk;
      if (until?.(text)) finish(false);
    });
    request.on("end", () => finish(true));
    request.on("error", reject);
  });
}

// Bun 1.4 and Deno 2.9 run node:http2 servers, but the test checks that first.
describe(`edge-sse/node on http2.createSecureServer (${runtime})`, () => {
  let server: Http2SecureServer;
  let origin: string;
  const routes = new Map<string, { handler: (s: SSEStream) => unknown; options?: SSEOptions }>();
  const reasons: Promise<CloseReason>[] = [];

  before(async () => {
    server = createSecureServer(selfSigned(), (req, res) => {
      const found = routes.get(req.url);
      if (!found) return res.writeHead(404).end();
      sse(req, res, (stream) => {
        reasons.push(stream.closed);
        return found.handler(stream);
      }, found.options);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test("streams events over HTTP/2 with the SSE headers", async () => {
    routes.set("/events", {
      handler: async (stream) => {
        await stream.send({ event: "greeting", data: "hello" });
        await stream.send({ id: 2, data: { n: 2 } });
      },
    });
    const { status, headers, text } = await within(get(origin, "/events"), 5000, "the stream");
    assert.equal(status, 200);
    assert.equal(headers["content-type"], "text/event-stream; charset=utf-8");
    assert.equal(headers["cache-control"], "no-cache, no-transform");
    assert.equal(text, ':\n\nevent: greeting\ndata: hello\n\nid: 2\ndata: {"n":2}\n\n');
  });

  test('close.connection: "close" ends the stream cleanly (no connection header on HTTP/2)', async () => {
    routes.set("/connection-close", {
      handler: (stream) => stream.send("bye"),
      options: { close: { connection: "close" } },
    });
    const { status, headers, text, ended } = await within(
      get(origin, "/connection-close"),
      5000,
      "the stream",
    );
    assert.equal(status, 200);
    assert.equal(headers["connection"], undefined);
    assert.equal(text, ":\n\ndata: bye\n\n");
    assert.equal(ended, true);
  });

  test("a client that cancels its HTTP/2 stream ends the stream with reason client", async () => {
    routes.set("/quiet", { handler: (stream) => stream.closed });
    const count = reasons.length;
    const { text } = await within(get(origin, "/quiet", (t) => t === ":\n\n"), 5000, "open");
    assert.equal(text, ":\n\n");
    assert.equal(await within(reasons[count], 3000, "the server to see the cancel"), "client");
  });
});
