// The demo page (examples/demo/) in headless Chromium, served by the runtime
// under test: its streams render, and a screenshot is saved under
// tests/artifacts/demo-<runtime>.png (git-ignored) for people to look at.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createApp } from "../examples/demo/app.ts";
import { type Browser, launchChromium, until } from "./_browser.ts";
import { runtime, serve, type TestServer } from "./_server.ts";

const TICK = 250;
const LIMIT = 1200;
const ARTIFACTS = join(process.cwd(), "tests", "artifacts");

let server: TestServer;
let browser: Browser;

before(async () => {
  [server, browser] = await Promise.all([
    serve(createApp({ tick: TICK, limit: LIMIT }).fetch),
    launchChromium(),
  ]);
});

after(async () => {
  await Promise.all([browser?.close(), server?.close()]);
});

const text = (selector: string) =>
  `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? "")`;

describe(`the demo page in Chromium, served by ${runtime}`, () => {
  test("renders live events from every stream, and a close reason", async () => {
    const page = await browser.open(server.url);
    try {
      await until(
        page,
        `/^\\d\\d:\\d\\d:\\d\\d$/.test(${text("#clock .big")}.trim())`,
        "the clock",
      );
      await until(page, `Number(${text("#counter .big")}) >= 3`, "the counter at 3");
      await until(page, `Number(${text("#limited .big")}) >= 2`, "the limited counter");
      await until(
        page,
        `[...document.querySelectorAll("#closes tbody tr")].some((row) =>
          row.textContent.includes("/limited") && row.textContent.includes("max-duration"))`,
        "the /limited stream's close reason in the table",
        LIMIT + 3000,
      );
      const states = await page.evaluate(
        `[...document.querySelectorAll("#clock .status, #counter .status, #closes .status")]
          .map((status) => status.textContent)`,
      ) as string[];
      assert.deepEqual(states, ["open", "open", "open"]);

      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `demo-${runtime}.png`);
      // A short viewport: the full-page shot is then as tall as the content.
      await page.setViewportSize({ width: 1100, height: 300 });
      await page.screenshot({ path, fullPage: true });
      assert.ok(statSync(path).size > 20_000, "a screenshot with something on it");
    } finally {
      await page.close();
    }
  });
});
