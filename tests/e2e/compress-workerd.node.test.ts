// `compress: true` on real workerd: node:zlib exists there only with the
// `nodejs_compat` flag (without it the stream goes out uncompressed), and
// workerd must not encode the compressed body a second time.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { root } from "../_host.ts";
import { bundleWorker, startWorkerd, type Workerd } from "../_workerd.ts";

interface Arrival {
  at: number;
  text: string;
}

/** GETs `url` asking for gzip; records when each piece of decoded text arrived. */
function get(
  url: string,
): Promise<{ encoding: string | undefined; vary: string | undefined; arrivals: Arrival[] }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { "accept-encoding": "gzip" } }, (response) => {
      const encoding = response.headers["content-encoding"];
      const arrivals: Arrival[] = [];
      const record = (chunk: Uint8Array) =>
        arrivals.push({ at: performance.now(), text: new TextDecoder().decode(chunk) });
      const body = encoding === "gzip" ? response.pipe(zlib.createGunzip()) : response;
      body.on("data", record);
      body.on("end", () => resolve({ encoding, vary: response.headers["vary"], arrivals }));
      body.on("error", reject);
    }).on("error", reject);
  });
}

/** When each of the five events was decoded. */
function eventTimes(arrivals: Arrival[]): number[] {
  const times: number[] = [];
  let text = "";
  for (const { at, text: piece } of arrivals) {
    text += piece;
    while (times.length < 5 && text.includes(`id: ${times.length + 1}\n`)) times.push(at);
  }
  assert.equal(times.length, 5, `five events in ${JSON.stringify(text)}`);
  return times;
}

for (const flags of [["nodejs_compat"], []]) {
  describe(`compress: true on workerd ${flags.length ? "with" : "without"} nodejs_compat`, () => {
    let worker: Workerd;

    before(async () => {
      worker = await startWorkerd({
        script: await bundleWorker(join(root, "tests", "_compress_worker.ts")),
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["enable_request_signal", ...flags],
      });
    });

    after(async () => {
      await worker?.dispose();
    });

    test(
      flags.length
        ? "gzip, encoded once, each event decoded as it is sent"
        : "no node:zlib: identity, each event as it is sent",
      async () => {
        const { encoding, vary, arrivals } = await get(worker.url);
        assert.equal(encoding, flags.length ? "gzip" : undefined);
        assert.equal(vary, "accept-encoding");
        const times = eventTimes(arrivals);
        // Sent 1.2 s apart in all: held in a compressor, they would be decoded together at the end.
        assert.ok(times[4] - times[0] > 600, `events decoded at ${times.map(Math.round)} ms`);
      },
    );
  });
}
