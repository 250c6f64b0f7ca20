// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, and
// a page whose EventSources record everything they see, for the tests to read.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  /** Opens a new tab on `url`. */
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

/** Starts one headless Chromium with a fresh profile (`ignoreHTTPSErrors`: trust self-signed certificates). */
export async function launchChromium(
  options: { ignoreHTTPSErrors?: boolean } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "edge-sse-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 820 },
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
  });
  // The persistent context opens a first blank tab: close it.
  for (const page of context.pages()) await page.close();
  return {
    async open(url: string): Promise<Page> {
      const page = await context.newPage();
      await page.goto(url);
      return page;
    },
    async close(): Promise<void> {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** One event as a page's EventSource delivered it. */
export interface SeenEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** What one EventSource of the recorder page has seen. */
export interface Recorded {
  events: SeenEvent[];
  opens: number;
  errors: number;
  /** `readyState` now: 0 connecting, 1 open, 2 closed. */
  readyState: number;
}

// `watch(name, url, types)` opens an EventSource and records its events
// (`message` and the named `types`), opens and errors in `streams[name]`.
const RECORDER = `
const sources = {};
const streams = {};
function watch(name, url, types = []) {
  const source = new EventSource(url);
  const record = { events: [], opens: 0, errors: 0 };
  sources[name] = source;
  streams[name] = record;
  const onEvent = (event) =>
    record.events.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
  for (const type of ["message", ...types]) source.addEventListener(type, onEvent);
  source.onopen = () => record.opens++;
  source.onerror = () => record.errors++;
}
function seen(name) {
  return { ...streams[name], readyState: sources[name].readyState };
}
`;

/** The page that tests open: it has `watch()`, `seen()` and `sources`. */
export const RECORDER_PAGE: string =
  `<!doctype html><html><head><meta charset="utf-8"><title>edge-sse tests</title>` +
  `<link rel="icon" href="data:,"><script>${RECORDER}</script></head><body></body></html>`;

/** Opens an EventSource called `name` on `url` in `page`, recording `types` too. */
export async function watch(
  page: Page,
  name: string,
  url: string,
  types: string[] = [],
): Promise<void> {
  await page.evaluate(
    `watch(${JSON.stringify(name)}, ${JSON.stringify(url)}, ${JSON.stringify(types)})`,
  );
}

/** What the EventSource called `name` has seen so far. */
export async function seen(page: Page, name: string): Promise<Recorded> {
  return await page.evaluate(`seen(${JSON.stringify(name)})`) as Recorded;
}

/** Waits until the page expression `condition` is true, or fails naming `what`. */
export async function until(
  page: Page,
  condition: string,
  what: string,
  ms = 5000,
): Promise<void> {
  try {
    await page.waitForFunction(condition, undefined, { timeout: ms, polling: 10 });
  } catch (error) {
    throw new Error(`timed out after ${ms} ms waiting for ${what} (${condition})`, {
      cause: error,
    });
  }
}
