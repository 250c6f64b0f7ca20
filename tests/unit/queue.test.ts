// The queue under the writer: what goes in comes out as the same UTF-8
// bytes, in order, and its count is exact whenever it is asked to be,
// whatever mix of text, bytes and measurements came before.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ChunkQueue } from "../../src/_queue.ts";

const encoder = new TextEncoder();

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

// Whole code points: the queue joins text, so a lone surrogate could pair up.
const ALPHABETS = ["data: abc\n", "é£", "€\u0800", "😀", "x"].map((alphabet) =>
  Array.from(alphabet)
);

function text(next: () => number): string {
  let out = "";
  // One in ten is long (a 1 KiB event), so that the buffer a measurement
  // sizes for the burst also has to grow.
  const length = next() < 0.1 ? 250 + Math.floor(next() * 1_000) : Math.floor(next() * 40);
  const ascii = next() < 0.7;
  for (let i = 0; i < length; i++) {
    const alphabet = ascii ? ALPHABETS[0] : ALPHABETS[Math.floor(next() * ALPHABETS.length)];
    out += alphabet[Math.floor(next() * alphabet.length)];
  }
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

describe("chunk queue", () => {
  test("hands over the same UTF-8 bytes in order, counted exactly, however often it is measured", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const queue = new ChunkQueue();
      const expected: Uint8Array[] = [];
      const handed: Uint8Array[] = [];
      let queued = 0;
      for (let step = 0; step < 60; step++) {
        const roll = next();
        if (roll < 0.6) {
          const part = text(next);
          queue.push(part);
          expected.push(encoder.encode(part));
          queued += encoder.encode(part).byteLength;
        } else if (roll < 0.7) {
          const part = encoder.encode(text(next));
          queue.push(part);
          expected.push(part);
          queued += part.byteLength;
        } else if (roll < 0.85) {
          assert.equal(queue.exact(), queued, `seed ${seed}, step ${step}`);
        } else if (!queue.empty) {
          handed.push(queue.take());
          queued = 0;
        }
        assert.ok(queue.atLeast <= queued && queued <= queue.atMost, `seed ${seed}, step ${step}`);
        if (queued > 0) assert.ok(!queue.empty);
      }
      if (!queue.empty) handed.push(queue.take());
      assert.deepEqual(concat(handed), concat(expected), `seed ${seed}`);
    }
  });

  test("text measured near a limit is encoded once, not again at the hand-over", () => {
    const queue = new ChunkQueue();
    let encoded = 0;
    const { encodeInto, encode } = TextEncoder.prototype;
    TextEncoder.prototype.encodeInto = function (source, destination) {
      encoded += source.length;
      return encodeInto.call(this, source, destination);
    };
    TextEncoder.prototype.encode = function (source = "") {
      encoded += source.length;
      return encode.call(this, source);
    };
    try {
      queue.push("data: one\n\n");
      queue.push("data: two\n\n");
      assert.equal(queue.exact(), 22);
      queue.push("data: three\n\n");
      assert.equal(queue.atLeast, 35);
      assert.equal(
        new TextDecoder().decode(queue.take()),
        "data: one\n\ndata: two\n\ndata: three\n\n",
      );
      assert.equal(encoded, 35);
      assert.ok(queue.empty);
    } finally {
      TextEncoder.prototype.encodeInto = encodeInto;
      TextEncoder.prototype.encode = encode;
    }
  });
});
