// The HTTP/2 benchmark's client (Node, bundled by bench/http2.ts): headless
// Chromium through playwright-core. On one origin it opens 12 EventSources
// and records, per source, when its first event arrived (or that none did in
// 3 s); over HTTPS (HTTP/2) and plain HTTP (HTTP/1.1). Then it closes HTTP/2
// sources one by one and reads from the server when each handler ended.
// Prints one JSON line.
//
//   node http2-client.mjs '{"https":PORT,"http":PORT,"closes":10}'

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";

const job = JSON.parse(process.argv[2]) as { https: number; http: number; closes: number };
const SOURCES = 12;
const WAIT = 3000;

/** Opens `SOURCES` EventSources at once; resolves with each one's first-event time (ms) or null. */
async function firstEvents(page: Page, prefix: string): Promise<(number | null)[]> {
  return await page.evaluate(
    ([count, wait, prefix]) =>
      new Promise<(number | null)[]>((resolve) => {
        const start = performance.now();
        const times: (number | null)[] = Array(count).fill(null);
        // deno-lint-ignore no-explicit-any
        const sources: any[] = [];
        for (let i = 0; i < count; i++) {
          const source = new EventSource(`/tick?name=${prefix}${i}`);
          source.onmessage = () => {
            if (times[i] === null) times[i] = performance.now() - start;
          };
          sources.push(source);
        }
        // deno-lint-ignore no-explicit-any
        (globalThis as any).sources = sources;
        setTimeout(() => resolve(times), wait);
      }),
    [SOURCES, WAIT, prefix] as const,
  );
}

const profile = mkdtempSync(join(tmpdir(), "edge-sse-bench-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  ignoreHTTPSErrors: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
});
try {
  const h2 = await context.newPage();
  await h2.goto(`https://127.0.0.1:${job.https}/`);
  const protocol = await h2.evaluate(() =>
    (performance.getEntriesByType("navigation")[0] as unknown as { nextHopProtocol: string })
      .nextHopProtocol
  );
  const http2 = await firstEvents(h2, "h2-");
  const h1 = await context.newPage();
  await h1.goto(`http://127.0.0.1:${job.http}/`);
  const http1 = await firstEvents(h1, "h1-");
  await h1.close();
  // Cancel HTTP/2 streams one by one: the page's clock and the server's are the same machine's.
  const cancels: number[] = [];
  for (let i = 0; i < Math.min(job.closes, SOURCES); i++) {
    const closedAt = await h2.evaluate((i) => {
      // deno-lint-ignore no-explicit-any
      (globalThis as any).sources[i].close();
      return Date.now();
    }, i);
    let end: { at: number } | undefined;
    for (let tries = 0; tries < 200 && end === undefined; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const ends = await (await fetch(`http://127.0.0.1:${job.http}/ends`)).json();
      end = ends[`h2-${i}`];
    }
    cancels.push(end === undefined ? NaN : end.at - closedAt);
  }
  const ends = await (await fetch(`http://127.0.0.1:${job.http}/ends`)).json();
  const reasons = Object.entries(ends).filter(([name]) => name.startsWith("h2-"))
    .map(([, end]) => (end as { reason: string }).reason);
  console.log(JSON.stringify({ protocol, http2, http1, cancels, reasons }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
