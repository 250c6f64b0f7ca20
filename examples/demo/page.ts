/**
 * The demo page's HTML: one card per stream. The CSS is in `page_style.ts`,
 * the script whose `EventSource`s fill the cards in `page_script.ts`; all are
 * module strings, so the page bundles on every runtime.
 *
 * @module
 */

import { MAX_NAME, MAX_TEXT } from "./chat.ts";
import { SCRIPT } from "./page_script.ts";
import { CSS } from "./page_style.ts";

/** The page, naming the runtime that serves it. */
export function renderPage(runtime: string): string {
  return HTML.replace("{{runtime}}", escapeHtml(runtime));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-sse demo</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header class="top">
  <h1>edge-sse <span>demo</span></h1>
  <p>Server-Sent Events from one fetch handler, served by {{runtime}}.</p>
</header>
<main>
  <section class="card" id="clock">
    <h2>Clock <code>/clock</code><span class="status">connecting</span></h2>
    <div class="big">--:--:--</div>
    <div class="sub"></div>
    <pre>event: time
data: {"iso":"…"}</pre>
  </section>
  <section class="card" id="counter">
    <h2>Counter <code>/counter</code><span class="status">connecting</span></h2>
    <div class="big">0</div>
    <div class="sub">last id <b id="counter-id">–</b> · reload: it goes on
      <button id="counter-reset" type="button">reset</button></div>
    <pre></pre>
  </section>
  <section class="card" id="limited">
    <h2>Limited <code>/limited</code><span class="status">connecting</span></h2>
    <div class="big">0</div>
    <div class="sub">connection <b id="limited-connections">0</b> · last id
      <b id="limited-id">–</b></div>
    <div class="bar"><div></div></div>
    <div class="message">connecting…</div>
  </section>
  <section class="card span-2" id="metrics">
    <h2>Metrics <code>/metrics</code><span class="status">connecting</span></h2>
    <div class="charts"></div>
    <div class="sub note">sample <b id="metrics-id">–</b> · made-up random walks, each
      drawn as an inline SVG path (no chart library)</div>
    <pre></pre>
  </section>
  <section class="card" id="chat">
    <h2>Chat <code>/chat</code><span class="status">connecting</span></h2>
    <ul class="messages" aria-live="polite">
      <li class="empty">No messages yet. Say hi, then open a second tab.</li>
    </ul>
    <form autocomplete="off">
      <input id="chat-name" name="name" aria-label="name" placeholder="name" required
        maxlength="${MAX_NAME}">
      <input id="chat-text" name="text" aria-label="message" placeholder="message" required
        maxlength="${MAX_TEXT}">
      <button type="submit">Send</button>
    </form>
    <p class="form-note">One <code>Channel</code>: every tab subscribes; a reconnect
      replays what it missed.</p>
  </section>
  <section class="card wide" id="closes">
    <h2>Close reasons <code>/closes</code><span class="status">connecting</span></h2>
    <table>
      <thead><tr><th>time</th><th>route</th><th>reason</th><th>open for</th><th>last id</th></tr></thead>
      <tbody><tr class="empty"><td colspan="5">No stream has ended yet. Wait for
        /limited, or reload the page (its streams end with "client").</td></tr></tbody>
    </table>
  </section>
</main>
<footer>Source: <code>examples/demo/app.ts</code> · every stream here is one
  <code>sse(request, handler, options)</code> call.</footer>
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
