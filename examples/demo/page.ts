/**
 * The demo page: HTML, CSS and a little script whose `EventSource`s show the
 * streams live. A module string, so it bundles on every runtime.
 *
 * @module
 */

/** The page, naming the runtime that serves it. */
export function renderPage(runtime: string): string {
  return HTML.replace("{{runtime}}", escapeHtml(runtime));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #fff; --text: #1d2330; --muted: #6b7385; --line: #e4e7ec;
  --accent: #4f46e5; --ok: #15a34a; --warn: #d97706; --off: #9aa1ae; --code: #f1f3f7;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1218; --card: #181c25; --text: #e8eaf0; --muted: #98a0b3; --line: #2a303c;
    --accent: #8b85ff; --code: #222835;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header.top { max-width: 1080px; margin: 0 auto; padding: 28px 24px 8px; }
h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
h1 span { color: var(--accent); }
header.top p { margin: 4px 0 0; color: var(--muted); }
main {
  max-width: 1080px; margin: 0 auto; padding: 16px 24px 32px;
  display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
}
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: 18px 20px; box-shadow: 0 1px 2px rgb(0 0 0 / 0.04); min-width: 0;
}
.card.wide { grid-column: 1 / -1; }
.card h2 {
  margin: 0; font-size: 13px; font-weight: 600; text-transform: uppercase;
  letter-spacing: 0.06em; color: var(--muted); display: flex; align-items: center; gap: 8px;
}
.card h2 code { text-transform: none; letter-spacing: 0; font-weight: 500; }
.status {
  margin-left: auto; font-size: 12px; font-weight: 500; text-transform: none;
  letter-spacing: 0; display: inline-flex; align-items: center; gap: 6px;
}
.status::before {
  content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--off);
}
.status[data-state="open"]::before { background: var(--ok); box-shadow: 0 0 0 3px rgb(21 163 74 / 0.15); }
.status[data-state="connecting"]::before { background: var(--warn); }
.big {
  font-size: 46px; font-weight: 650; letter-spacing: -0.02em; margin: 10px 0 2px;
  font-variant-numeric: tabular-nums;
}
.sub { color: var(--muted); font-size: 13px; min-height: 20px; }
code, pre { font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--code); padding: 1px 5px; border-radius: 5px; }
pre {
  background: var(--code); border-radius: 8px; padding: 8px 10px; margin: 12px 0 0;
  white-space: pre-wrap; min-height: 64px;
}
.bar { height: 6px; background: var(--code); border-radius: 3px; overflow: hidden; margin: 10px 0; }
.bar div { height: 100%; width: 0; background: var(--accent); border-radius: 3px; }
.message { font-size: 13.5px; min-height: 42px; }
.message.closed { color: var(--warn); }
button {
  font: inherit; font-size: 12px; color: var(--accent); background: none; cursor: pointer;
  border: 1px solid var(--line); border-radius: 6px; padding: 2px 8px; margin-left: 6px;
}
table { width: 100%; border-collapse: collapse; margin-top: 10px; font-size: 13.5px; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; }
th, td { padding: 6px 8px 6px 0; border-bottom: 1px solid var(--line); }
td.num { font-variant-numeric: tabular-nums; }
.reason {
  display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 500; background: var(--code);
}
.reason.client { color: #2563eb; }
.reason.max-duration { color: var(--warn); }
.reason.error, .reason.slow-consumer { color: #dc2626; }
.reason.shutdown, .reason.closed, .reason.returned, .reason.idle { color: var(--ok); }
.empty td { color: var(--muted); }
footer { max-width: 1080px; margin: 0 auto; padding: 0 24px 32px; color: var(--muted); font-size: 13px; }
`;

const SCRIPT = `
const $ = (selector) => document.querySelector(selector);

function connect(card, url) {
  const source = new EventSource(url);
  const status = card.querySelector(".status");
  const show = (state, text) => { status.dataset.state = state; status.textContent = text; };
  show("connecting", "connecting");
  source.addEventListener("open", () => show("open", "open"));
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) show("closed", "closed");
    else show("connecting", "reconnecting");
  });
  return source;
}

function wire(event) {
  const lines = [];
  if (event.type !== "message") lines.push("event: " + event.type);
  if (event.lastEventId) lines.push("id: " + event.lastEventId);
  for (const line of event.data.split("\\n")) lines.push("data: " + line);
  return lines.join("\\n");
}

// Clock: one "time" event a second.
const clock = connect($("#clock"), "/clock");
clock.addEventListener("time", (event) => {
  const time = new Date(JSON.parse(event.data).iso);
  $("#clock .big").textContent = time.toLocaleTimeString([], { hour12: false });
  $("#clock .sub").textContent =
    time.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" });
  $("#clock pre").textContent = wire(event);
});

// Counter: ids, resumed from Last-Event-ID on reconnect, and from
// ?lastEventId= after a page reload (EventSource cannot set headers).
const saved = sessionStorage.getItem("counter");
const counter = connect(
  $("#counter"),
  saved ? "/counter?lastEventId=" + encodeURIComponent(saved) : "/counter",
);
counter.addEventListener("count", (event) => {
  $("#counter .big").textContent = JSON.parse(event.data).n;
  $("#counter-id").textContent = event.lastEventId;
  $("#counter pre").textContent = wire(event);
  sessionStorage.setItem("counter", event.lastEventId);
});
$("#counter-reset").addEventListener("click", () => {
  sessionStorage.removeItem("counter");
  location.reload();
});

// Limited: the server closes it after a while (close.maxDuration) with a
// final "bye" event; the browser reconnects with Last-Event-ID.
let lastId = "";
let connections = 0;
const limitedCard = $("#limited");
const message = (text, closed) => {
  const element = $("#limited .message");
  element.textContent = text;
  element.classList.toggle("closed", closed);
};
const bar = $("#limited .bar div");
const limited = connect(limitedCard, "/limited");
limited.addEventListener("window", (event) => {
  const { ms, resumedFrom } = JSON.parse(event.data);
  connections++;
  $("#limited-connections").textContent = connections;
  bar.style.transition = "none";
  bar.style.width = "0";
  bar.getBoundingClientRect();
  bar.style.transition = "width " + ms + "ms linear";
  bar.style.width = "100%";
  message(
    resumedFrom === null
      ? "open: close.maxDuration ends this stream after " + ms / 1000 +
        " s; the browser then resumes it with Last-Event-ID"
      : "resumed: the server read Last-Event-ID " + resumedFrom + " and continues at " +
        (Number(resumedFrom) + 1),
    false,
  );
});
limited.addEventListener("count", (event) => {
  lastId = event.lastEventId;
  $("#limited-id").textContent = lastId;
  $("#limited .big").textContent = JSON.parse(event.data).n;
});
limited.addEventListener("bye", (event) => {
  const { reason } = JSON.parse(event.data);
  message("closed: " + reason + " \\u2014 reconnecting with Last-Event-ID " + lastId, true);
  limitedCard.querySelector(".status").dataset.state = "closed";
  limitedCard.querySelector(".status").textContent = "closed";
});

// Close reasons of every stream, as the server saw them.
const rows = $("#closes tbody");
const closes = connect($("#closes"), "/closes");
closes.addEventListener("closed", (event) => {
  const record = JSON.parse(event.data);
  rows.querySelector(".empty")?.remove();
  const row = document.createElement("tr");
  const cells = [
    new Date(record.at).toLocaleTimeString([], { hour12: false }),
    record.route,
    record.reason,
    (record.ms / 1000).toFixed(1) + " s",
    record.lastId ?? "\\u2013",
  ];
  cells.forEach((text, index) => {
    const cell = document.createElement("td");
    if (index === 2) {
      const badge = document.createElement("span");
      badge.className = "reason " + text;
      badge.textContent = text;
      cell.append(badge);
    } else {
      cell.textContent = text;
      if (index > 2) cell.className = "num";
    }
    row.append(cell);
  });
  rows.prepend(row);
  while (rows.children.length > 8) rows.lastElementChild.remove();
});
`;

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
