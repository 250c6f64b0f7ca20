// `compress: true` on a real server of the runtime under test, with real
// clients: node:http reading the raw compressed bytes (every encoding),
// curl --compressed -N, the `eventsource` package, connect(), and headless
// Chromium's EventSource over HTTP/1.1 and HTTP/2. The point throughout: each
// event is decodable the moment it is sent (the next one waits for the
// client to have seen it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import * as zlib from "node:zlib";
import { EventSource } from "eventsource";
import { compressionEncodings } from "../../src/compress.ts";
import { sse, type SSEStream } from "../../mod.ts";
import { connect } from "../../client.ts";
import { type Browser, launchChromium, RECORDER_PAGE, seen, until, watch } from "../_browser.ts";
import { curl } from "../_curl.ts";
import { delay, runtime, serve, type TestServer, within } from "../_server.ts";
import { serveTls } from "../_tls.ts";

/** Streams held open by `/step?key=`, for the test to send into one event at a time. */
const steps = new Map<string, SSEStream>();
/** The Content-Encoding each `/step` and `/tick` response was given, by key. */
const encodings = new Map<string, string | null>();

function stepStream(key: string): Promise<SSEStream> {
  return within(
    (async () => {
      while (!steps.has(key)) await delay(5);
      return steps.get(key)!;
    })(),
    10_000,
    `the stream ${key} to open`,
  );
}

// deno-lint-ignore no-explicit-any
function handler(request: Request, bunServer?: any): Response {
  const url = new URL(request.url);
  const key = url.searchParams.get("key") ?? "";
  const compress = url.searchParams.get("compress") !== "0";
  let response: Response;
  switch (url.pathname) {
    case "/":
      return new Response(RECORDER_PAGE, { headers: { "content-type": "text/html" } });
    case "/step":
      response = sse(request, (stream) => {
        steps.set(key, stream);
        return new Promise((resolve) => stream.signal.addEventListener("abort", resolve));
      }, { server: bunServer, compress, heartbeat: false, close: { onReturn: false } });
      break;
    case "/tick":
      response = sse(request, async (stream) => {
        for (let n = 1; n <= 20 && await stream.send({ id: n, data: { n } }); n++) {
          await stream.sleep(20);
        }
      }, { server: bunServer, compress, heartbeat: false, close: { onReturn: false } });
      break;
    default:
      return new Response("not found", { status: 404 });
  }
  encodings.set(key, response.headers.get("content-encoding"));
  return response;
}

let server: TestServer;

before(async () => {
  server = await serve(handler);
});

after(async () => {
  await server?.close();
});

/** A raw node:http GET: the response headers, and the decoded text as it arrives. */
function rawGet(url: string, acceptEncoding: string | null) {
  const decoded: string[] = [];
  let wire = 0;
  let request: http.ClientRequest;
  const headers = new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
    request = http.get(url, {
      headers: acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding },
    }, (response) => {
      const coding = response.headers["content-encoding"];
      const decoder = coding === "gzip"
        ? zlib.createGunzip()
        : coding === "deflate"
        ? zlib.createInflate()
        : coding === "br"
        ? zlib.createBrotliDecompress()
        : coding === "zstd"
        // deno-lint-ignore no-explicit-any
        ? (zlib as any).createZstdDecompress()
        : null;
      response.on("data", (chunk: Uint8Array) => {
        wire += chunk.byteLength;
        if (decoder) decoder.write(chunk);
        else decoded.push(new TextDecoder().decode(chunk));
      });
      decoder?.on("data", (chunk: Uint8Array) => decoded.push(new TextDecoder().decode(chunk)));
      decoder?.on("error", reject);
      resolve(response.headers);
    });
    request.on("error", reject);
  });
  return {
    headers,
    text: () => decoded.join(""),
    wire: () => wire,
    async until(needle: string): Promise<void> {
      await within(
        (async () => {
          while (!decoded.join("").includes(needle)) await delay(2);
        })(),
        5_000,
        `${JSON.stringify(needle)} decoded (got ${JSON.stringify(decoded.join(""))})`,
      );
    },
    close: () => request.destroy(),
  };
}

const LLM_CHUNK = (n: number) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1733000000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta: { content: `token${n} ` }, finish_reason: null }],
  });

describe("compress: true", () => {
  for (const encoding of ["gzip", "br", "zstd", "deflate"]) {
    if (!compressionEncodings().includes(encoding as "gzip")) continue;
    test(`${encoding}: every event is decodable the moment it is sent`, async () => {
      const key = `raw-${encoding}`;
      const client = rawGet(`${server.url}/step?key=${key}`, encoding);
      const headers = await client.headers;
      assert.equal(headers["content-encoding"], encoding);
      assert.equal(headers["vary"], "accept-encoding");
      assert.equal(headers["content-length"], undefined);
      const stream = await stepStream(key);
      await client.until(":\n\n");
      let plain = 3;
      for (let n = 1; n <= 30; n++) {
        // The next event is sent only once this one was decoded: nothing may wait in a compressor.
        await stream.send({ id: n, data: LLM_CHUNK(n) });
        await client.until(`id: ${n}\ndata: ${LLM_CHUNK(n)}\n\n`);
        plain += `id: ${n}\ndata: ${LLM_CHUNK(n)}\n\n`.length;
      }
      assert.ok(client.wire() < plain * 0.3, `${client.wire()} bytes on the wire for ${plain}`);
      client.close();
    });
  }

  test("a client leaving a compressed stream ends it with reason client within a second", async () => {
    const client = rawGet(`${server.url}/step?key=leave`, "gzip");
    assert.equal((await client.headers)["content-encoding"], "gzip");
    const stream = await stepStream("leave");
    await stream.send("before");
    await client.until("data: before\n\n");
    const leftAt = performance.now();
    client.close();
    assert.equal(await within(stream.closed, 2000, "stream.closed"), "client");
    const seenAfter = performance.now() - leftAt;
    assert.ok(seenAfter < 1000, `the close seen after ${Math.round(seenAfter)} ms`);
  });

  test("without Accept-Encoding the stream is identity, with Vary", async () => {
    const client = rawGet(`${server.url}/step?key=identity`, null);
    const headers = await client.headers;
    assert.equal(headers["content-encoding"], undefined);
    assert.equal(headers["vary"], "accept-encoding");
    const stream = await stepStream("identity");
    await stream.send("plain");
    await client.until("data: plain\n\n");
    assert.equal(client.text(), ":\n\ndata: plain\n\n");
    client.close();
  });

  test("is off by default: Accept-Encoding alone changes nothing", async () => {
    const client = rawGet(`${server.url}/step?key=off&compress=0`, "gzip, deflate, br");
    const headers = await client.headers;
    assert.equal(headers["content-encoding"], undefined);
    assert.equal(headers["vary"], undefined);
    const stream = await stepStream("off");
    await stream.send("plain");
    await client.until("data: plain\n\n");
    client.close();
  });

  test("curl --compressed -N prints each event as it is sent", async () => {
    const client = curl(["-s", "-N", "--compressed"], `${server.url}/step?key=curl`);
    try {
      const stream = await stepStream("curl");
      for (let n = 1; n <= 5; n++) {
        await stream.send({ data: `event ${n}` });
        await client.waitFor(`data: event ${n}\n\n`, 5_000);
      }
      assert.equal(encodings.get("curl"), "gzip");
    } finally {
      await client.stop();
    }
  });

  test("the eventsource package receives each event as it is sent", async () => {
    const source = new EventSource(`${server.url}/step?key=eventsource`, {
      // Undici's fetch asks for gzip, deflate (and br); say it explicitly for every runtime's fetch.
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...init?.headers, "accept-encoding": "gzip, deflate" },
        }),
    });
    const received: string[] = [];
    source.onmessage = (event) => received.push(event.data);
    try {
      const stream = await stepStream("eventsource");
      for (let n = 1; n <= 5; n++) {
        await stream.send({ data: `event ${n}` });
        await within(
          (async () => {
            while (received.length < n) await delay(2);
          })(),
          5_000,
          `event ${n}`,
        );
      }
      assert.deepEqual(received, ["event 1", "event 2", "event 3", "event 4", "event 5"]);
      assert.equal(encodings.get("eventsource"), "gzip");
    } finally {
      source.close();
    }
  });

  test("connect() receives each event as it is sent", async () => {
    const controller = new AbortController();
    const events = connect(`${server.url}/step?key=connect`, {
      headers: { "accept-encoding": "gzip" },
      signal: controller.signal,
      reconnect: false,
    });
    const streamOpened = stepStream("connect");
    const next = events.next();
    const stream = await streamOpened;
    for (let n = 1; n <= 5; n++) {
      const pending = n === 1 ? next : events.next();
      await stream.send({ data: `event ${n}` });
      const { value } = await within(pending, 5_000, `event ${n}`);
      assert.equal(value?.data, `event ${n}`);
    }
    assert.equal(encodings.get("connect"), "gzip");
    controller.abort();
    await events.return();
  });
});

describe("compress: true in Chromium", () => {
  let browser: Browser;
  let tls: TestServer;

  before(async () => {
    [browser, tls] = await Promise.all([
      launchChromium({ ignoreHTTPSErrors: true }),
      serveTls(handler, runtime === "bun" ? "node-http2" : "native"),
    ]);
  });

  after(async () => {
    await Promise.all([browser?.close(), tls?.close()]);
  });

  for (const protocol of ["HTTP/1.1", "HTTP/2"]) {
    test(`EventSource over ${protocol} gets gzip and every event`, async () => {
      const origin = protocol === "HTTP/2" ? tls.url : server.url;
      const key = `chromium-${protocol}`;
      const page = await browser.open(`${origin}/`);
      try {
        await watch(page, "ticks", `/tick?key=${key}`);
        await until(page, `seen("ticks").events.length >= 20`, "20 events", 10_000);
        const { events } = await seen(page, "ticks");
        assert.deepEqual(
          events.slice(0, 20).map((event) => event.data),
          Array.from({ length: 20 }, (_, i) => JSON.stringify({ n: i + 1 })),
        );
        assert.equal(encodings.get(key), "gzip");
        const version = await page.evaluate(
          `performance.getEntriesByType("navigation")[0].nextHopProtocol`,
        );
        assert.equal(version, protocol === "HTTP/2" ? "h2" : "http/1.1");
      } finally {
        await page.close();
      }
    });
  }
});
