// The demo page (examples/demo/) in headless Chromium, served by the runtime
// under test: its streams render, the metrics chart draws, a message sent
// through the chat form comes back from the channel, and screenshots are
// saved under tests/artifacts/ (git-ignored) for people to look at:
// demo-<runtime>.png and demo-<runtime>-dark.png.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { Page } from "playwright-core";
import { createApp } from "../../examples/demo/app.ts";
import { type Browser, launchChromium, until } from "../_browser.ts";
import { runtime, serve, type TestServer } from "../_server.ts";

const TICK = 250;
const LIMIT = 1200;
const SAMPLE = 60;
/** Samples a chart shows (WINDOW in examples/demo/page_script.ts). */
const WINDOW = 60;
const ARTIFACTS = join(process.cwd(), "tests", "artifacts");

let server: TestServer;
let browser: Browser;
let page: Page;

before(async () => {
  [server, browser] = await Promise.all([
    serve(createApp({ tick: TICK, limit: LIMIT, sample: SAMPLE }).fetch),
    launchChromium(),
  ]);
  page = await browser.open(server.url);
});

after(async () => {
  await page?.close();
  await Promise.all([browser?.close(), server?.close()]);
});

const text = (selector: string) =>
  `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? "")`;

/** The points of the metrics chart's first line (its path's M and L commands). */
const CHART_POINTS = `(document.querySelector("#metrics svg path.line")?.getAttribute("d") ?? "")
  .split(/[ML]/).filter((point) => /^\\s*[\\d.]+ [\\d.]+\\s*$/.test(point)).length`;

describe(`the demo page in Chromium, served by ${runtime}`, () => {
  test("renders live events from every stream, a chart, and a close reason", async () => {
    await until(
      page,
      `/^\\d\\d:\\d\\d:\\d\\d$/.test(${text("#clock .big")}.trim())`,
      "the clock",
    );
    await until(page, `Number(${text("#counter .big")}) >= 3`, "the counter at 3");
    await until(page, `Number(${text("#limited .big")}) >= 2`, "the limited counter");
    await until(page, `${CHART_POINTS} >= 10`, "a metrics chart with 10 points");
    const charts = await page.evaluate(
      `[...document.querySelectorAll("#metrics .series")].map((row) => ({
        label: row.querySelector(".label").textContent,
        value: row.querySelector(".value").textContent,
      }))`,
    ) as { label: string; value: string }[];
    assert.deepEqual(charts.map((chart) => chart.label), [
      "requests/s",
      "latency ms",
      "errors %",
    ]);
    for (const { label, value } of charts) {
      assert.ok(Number.isFinite(Number(value)), `${label} shows a number: ${value}`);
    }
    await until(
      page,
      `[...document.querySelectorAll("#closes tbody tr")].some((row) =>
        row.textContent.includes("/limited") && row.textContent.includes("max-duration"))`,
      "the /limited stream's close reason in the table",
      LIMIT + 3000,
    );
    const states = await page.evaluate(
      `[...document.querySelectorAll(".card:not(#limited) .status")]
        .map((status) => status.closest(".card").id + " " + status.textContent)`,
    ) as string[];
    assert.deepEqual(states, [
      "clock open",
      "counter open",
      "metrics open",
      "chat open",
      "closes open",
    ]);
  });

  test("a message sent through the chat form comes back, as text", async () => {
    // Someone else in the room, with markup that must stay text.
    const posted = await fetch(server.url + "/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Ada", text: "Hi! Is <b>this</b> bold? It should not be." }),
    });
    assert.equal(posted.status, 204);
    await until(page, `${text("#chat .messages")}.includes("<b>this</b>")`, "Ada's message");

    await page.fill("#chat-name", "Grace");
    await page.fill("#chat-text", "Grüße from the browser");
    await page.click("#chat form button");
    await until(
      page,
      `[...document.querySelectorAll("#chat .messages li")].some((item) =>
        item.querySelector("b")?.textContent === "Grace" &&
        item.textContent.includes("Grüße from the browser"))`,
      "the message sent through the form",
    );
    assert.equal(await page.inputValue("#chat-text"), "", "the text field is cleared");
    const bold = await page.evaluate(`document.querySelectorAll("#chat .messages p b").length`);
    assert.equal(bold, 0, "no markup from a message made it into the page");
  });

  test("screenshots, light and dark", async () => {
    await until(page, `${CHART_POINTS} >= ${WINDOW}`, "a full chart", WINDOW * SAMPLE + 5000);
    mkdirSync(ARTIFACTS, { recursive: true });
    // A short viewport: the full-page shot is then as tall as the content.
    await page.setViewportSize({ width: 1200, height: 300 });
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const name = scheme === "light" ? `demo-${runtime}.png` : `demo-${runtime}-dark.png`;
      const path = join(ARTIFACTS, name);
      await page.screenshot({ path, fullPage: true });
      assert.ok(statSync(path).size > 20_000, "a screenshot with something on it");
    }
  });
});
