import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as zlib from "node:zlib";
import {
  CompressingSink,
  compressionEncodings,
  type Encoding,
  negotiateEncoding,
  setEncodingHeaders,
} from "../../src/compress.ts";
import type { Sink, SinkOwner } from "../../src/sink.ts";

const encoder = new TextEncoder();
const ALL: Encoding[] = ["gzip", "br", "zstd", "deflate"];

describe("negotiateEncoding", () => {
  const available: Encoding[] = ["gzip", "br", "zstd", "deflate"];

  it("picks gzip from what Chromium's EventSource sends", () => {
    assert.equal(negotiateEncoding("gzip, deflate, br, zstd", available), "gzip");
  });

  it("answers identity without Accept-Encoding, or when nothing is acceptable", () => {
    assert.equal(negotiateEncoding(null, available), null);
    assert.equal(negotiateEncoding("", available), null);
    assert.equal(negotiateEncoding("identity", available), null);
    assert.equal(negotiateEncoding("compress, x-custom", available), null);
    assert.equal(negotiateEncoding("gzip;q=0, br;q=0", available), null);
    assert.equal(negotiateEncoding("gzip, br", []), null);
  });

  it("follows the client's q-values, ties going to the server's order", () => {
    assert.equal(negotiateEncoding("gzip;q=0.5, br", available), "br");
    assert.equal(negotiateEncoding("deflate;q=1, gzip;q=0.9", available), "deflate");
    assert.equal(negotiateEncoding("br, gzip", available), "gzip");
    assert.equal(negotiateEncoding("GZIP ; Q=0.2 , Deflate;q=0.1", available), "gzip");
  });

  it("rates every unnamed encoding by `*`", () => {
    assert.equal(negotiateEncoding("*", available), "gzip");
    assert.equal(negotiateEncoding("*;q=0.1, br;q=0.5", available), "br");
    assert.equal(negotiateEncoding("gzip;q=0, *", available), "br");
  });

  it("offers gzip and deflate on every runtime that has node:zlib", () => {
    const encodings = compressionEncodings();
    assert.ok(encodings.includes("gzip") && encodings.includes("deflate"), String(encodings));
    assert.equal(encodings[0], "gzip");
  });
});

describe("setEncodingHeaders", () => {
  it("sets Content-Encoding and Vary, and drops Content-Length", () => {
    const headers = new Headers({ "content-length": "10" });
    setEncodingHeaders(headers, "gzip");
    assert.equal(headers.get("content-encoding"), "gzip");
    assert.equal(headers.get("vary"), "accept-encoding");
    assert.equal(headers.has("content-length"), false);
  });

  it("adds to the user's Vary once, and sets Vary for identity too", () => {
    const headers = new Headers({ vary: "Origin" });
    setEncodingHeaders(headers, null);
    assert.equal(headers.get("vary"), "Origin, accept-encoding");
    setEncodingHeaders(headers, "br");
    assert.equal(headers.get("vary"), "Origin, accept-encoding");
    assert.equal(headers.get("content-encoding"), "br");
  });
});

/** A streaming decoder of `encoding` whose text so far is `text()`. */
function decoder(encoding: Encoding) {
  const stream = encoding === "gzip"
    ? zlib.createGunzip()
    : encoding === "deflate"
    ? zlib.createInflate()
    : encoding === "br"
    ? zlib.createBrotliDecompress()
    // deno-lint-ignore no-explicit-any
    : (zlib as any).createZstdDecompress();
  let text = "";
  stream.on("data", (chunk: Uint8Array) => text += new TextDecoder().decode(chunk));
  return {
    write: (bytes: Uint8Array) => stream.write(bytes),
    end: () => new Promise<void>((resolve) => stream.end(resolve)),
    text: () => text,
    async until(expected: string): Promise<void> {
      for (let i = 0; i < 200 && !text.endsWith(expected); i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(text.slice(-expected.length), expected);
    },
  };
}

/** An inner sink that records what it gets and says `full` until given demand. */
function recordingSink() {
  const record = {
    chunks: [] as Uint8Array[],
    closed: 0,
    aborted: [] as unknown[],
    full: false,
    owner: null as SinkOwner | null,
  };
  const make = (owner: SinkOwner): Sink => {
    record.owner = owner;
    return {
      write(chunk) {
        record.chunks.push(chunk);
        return !record.full;
      },
      close() {
        record.closed++;
      },
      abort(reason) {
        record.aborted.push(reason);
      },
    };
  };
  return { record, make };
}

function writerSpy() {
  const spy = { demands: 0, gone: [] as unknown[] };
  const owner: SinkOwner = { demand: () => spy.demands++, gone: (cause) => spy.gone.push(cause) };
  return { spy, owner };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250 && !condition(); i++) await new Promise((r) => setTimeout(r, 4));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

describe("CompressingSink", () => {
  for (const encoding of ALL) {
    if (!compressionEncodings().includes(encoding)) {
      it(`${encoding}: not offered where the runtime's node:zlib lacks it`, () => {
        assert.equal(typeof (zlib as Record<string, unknown>).createZstdCompress, "undefined");
        assert.equal(negotiateEncoding(encoding), null);
        const { make } = recordingSink();
        assert.throws(() => new CompressingSink(writerSpy().owner, encoding, make), TypeError);
      });
      continue;
    }
    it(`${encoding}: every chunk decodes at once, before the next is written`, async () => {
      const { record, make } = recordingSink();
      const { spy, owner } = writerSpy();
      const sink = new CompressingSink(owner, encoding, make);
      const decode = decoder(encoding);
      let sent = 0;
      for (let i = 0; i < 5; i++) {
        const event = `id: ${i}\ndata: {"choices":[{"delta":{"content":"token ${i}"}}]}\n\n`;
        assert.equal(sink.write(encoder.encode(event)), false);
        await waitFor(() => spy.demands === i + 1, `demand after chunk ${i}`);
        for (const chunk of record.chunks.slice(sent)) decode.write(chunk);
        sent = record.chunks.length;
        await decode.until(event);
      }
      sink.close();
      await waitFor(() => record.closed === 1, "the inner sink closed");
      for (const chunk of record.chunks.slice(sent)) decode.write(chunk);
      await decode.end();
      assert.equal(decode.text().split("\n\n").length, 6);
      assert.deepEqual(spy.gone, []);
    });
  }

  it("compresses an LLM token stream to under 15 % of its size", async () => {
    const { record, make } = recordingSink();
    const { spy, owner } = writerSpy();
    const sink = new CompressingSink(owner, "gzip", make);
    let plain = 0;
    for (let i = 0; i < 100; i++) {
      const event =
        `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1733000000,` +
        `"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"word${i % 7} "},` +
        `"finish_reason":null}]}\n\n`;
      plain += event.length;
      sink.write(encoder.encode(event));
      await waitFor(() => spy.demands === i + 1, `chunk ${i}`);
    }
    const wire = record.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    assert.ok(wire / plain < 0.15, `wire/plain ${wire}/${plain}`);
  });

  it("passes demand on only once the inner sink wants more", async () => {
    const { record, make } = recordingSink();
    const { spy, owner } = writerSpy();
    record.full = true;
    const sink = new CompressingSink(owner, "gzip", make);
    sink.write(encoder.encode("data: 1\n\n"));
    await waitFor(() => record.chunks.length > 0, "compressed bytes");
    await tick();
    assert.equal(spy.demands, 0, "the inner sink is full: the writer must wait");
    record.owner!.demand();
    assert.equal(spy.demands, 1);
  });

  it("holds the writer while a chunk is in the compressor, even if the consumer asks", async () => {
    const { record, make } = recordingSink();
    const { spy, owner } = writerSpy();
    const sink = new CompressingSink(owner, "gzip", make);
    sink.write(encoder.encode("data: 1\n\n"));
    record.owner!.demand();
    assert.equal(spy.demands, 0);
    await waitFor(() => spy.demands === 1, "demand once compressed");
  });

  it("close() ends the compressed stream after every chunk, then closes the inner sink", async () => {
    const { record, make } = recordingSink();
    const { owner } = writerSpy();
    const sink = new CompressingSink(owner, "gzip", make);
    sink.write(encoder.encode("data: a\n\n"));
    sink.write(encoder.encode("data: b\n\n"));
    sink.close();
    sink.close();
    await waitFor(() => record.closed === 1, "the inner sink closed");
    const bytes = zlib.gunzipSync(Buffer.concat(record.chunks));
    assert.equal(bytes.toString(), "data: a\n\ndata: b\n\n");
    await tick();
    assert.equal(record.closed, 1);
    assert.throws(() => sink.write(encoder.encode("x")), TypeError);
  });

  it("abort() drops the compressor and aborts the inner sink without closing it", async () => {
    const { record, make } = recordingSink();
    const { spy, owner } = writerSpy();
    const sink = new CompressingSink(owner, "deflate", make);
    sink.write(encoder.encode("data: a\n\n"));
    const reason = new Error("client gone");
    sink.abort(reason);
    await tick();
    assert.deepEqual(record.aborted, [reason]);
    assert.equal(record.closed, 0);
    assert.equal(spy.demands, 0);
  });

  it("tells the writer the peer is gone when the inner sink throws", async () => {
    const { make } = recordingSink();
    const { spy, owner } = writerSpy();
    const sink = new CompressingSink(owner, "gzip", (o) => {
      const inner = make(o);
      inner.write = () => {
        throw new TypeError("cancelled");
      };
      return inner;
    });
    sink.write(encoder.encode("data: a\n\n"));
    await waitFor(() => spy.gone.length === 1, "gone");
    assert.ok(spy.gone[0] instanceof TypeError);
  });
});
