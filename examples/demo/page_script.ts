/**
 * The demo page's script: one `EventSource` per card, and the chat form.
 * Plain browser JavaScript in a module string, so it bundles on every runtime.
 * Everything received is rendered with `textContent`, never `innerHTML`.
 *
 * @module
 */

/** The page's script (a module). */
export const SCRIPT: string = `
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

// Metrics: a "sample" event every 500 ms, each series drawn as an inline SVG
// chart of its last WINDOW samples. No chart library: a path per series.
const WINDOW = 60;
const SVG = "http://www.w3.org/2000/svg";
const charts = new Map();

function svgElement(name, className) {
  const element = document.createElementNS(SVG, name);
  element.setAttribute("class", className);
  return element;
}

function chartFor(name) {
  if (charts.has(name)) return charts.get(name);
  const row = document.createElement("div");
  row.className = "series";
  const [label, value, range] = ["label", "value", "range"].map((className) => {
    const element = document.createElement("div");
    element.className = className;
    return element;
  });
  label.textContent = name;
  const svg = svgElement("svg", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", name + ", last " + WINDOW + " samples");
  const area = svgElement("path", "area");
  const line = svgElement("path", "line");
  const dot = svgElement("circle", "dot");
  dot.setAttribute("r", "3");
  svg.append(area, line, dot);
  row.append(label, value, range, svg);
  $("#metrics .charts").append(row);
  const chart = { values: [], decimals: 0, value, range, svg, area, line, dot };
  charts.set(name, chart);
  return chart;
}

function draw(chart) {
  const { values, svg } = chart;
  if (values.length === 0) return;
  const width = svg.clientWidth;
  const height = svg.clientHeight;
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  const pad = 5;
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high - low < 1e-9) [low, high] = [low - 1, high + 1];
  // Newest sample on the right edge; older ones step left.
  const step = (width - 2 * pad) / (WINDOW - 1);
  const points = values.map((v, i) => [
    width - pad - (values.length - 1 - i) * step,
    pad + (1 - (v - low) / (high - low)) * (height - 2 * pad),
  ]);
  const at = ([x, y]) => x.toFixed(1) + " " + y.toFixed(1);
  const path = points.map((point, i) => (i === 0 ? "M" : "L") + at(point)).join(" ");
  chart.line.setAttribute("d", path);
  const [first, last] = [points[0], points[points.length - 1]];
  const floor = " L" + at([last[0], height]) + " L" + at([first[0], height]) + " Z";
  chart.area.setAttribute("d", path + floor);
  chart.dot.setAttribute("cx", last[0].toFixed(1));
  chart.dot.setAttribute("cy", last[1].toFixed(1));
  const format = (v) => v.toFixed(chart.decimals);
  chart.value.textContent = format(values[values.length - 1]);
  chart.range.textContent = format(low) + " \\u2013 " + format(high);
}

const metrics = connect($("#metrics"), "/metrics");
metrics.addEventListener("sample", (event) => {
  for (const [name, value] of Object.entries(JSON.parse(event.data))) {
    const chart = chartFor(name);
    chart.values.push(value);
    if (chart.values.length > WINDOW) chart.values.shift();
    chart.decimals = Math.max(chart.decimals, (String(value).split(".")[1] ?? "").length);
    draw(chart);
  }
  $("#metrics-id").textContent = event.lastEventId;
  $("#metrics pre").textContent = wire(event);
});
addEventListener("resize", () => charts.forEach(draw));

// Chat: a Channel on the server. Every tab is one subscriber; a reconnecting
// EventSource sends Last-Event-ID and the channel replays what it missed.
const list = $("#chat .messages");
const hue = (name) => [...name].reduce((h, c) => (h * 31 + c.codePointAt(0)) % 360, 7);
const chat = connect($("#chat"), "/chat");
chat.addEventListener("message", (event) => {
  const { name, text, at } = JSON.parse(event.data);
  list.querySelector(".empty")?.remove();
  // Other people's words: textContent only, never innerHTML.
  const who = document.createElement("b");
  who.textContent = name;
  who.style.setProperty("--hue", hue(name));
  const when = document.createElement("time");
  when.dateTime = at;
  when.textContent = new Date(at).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
  const said = document.createElement("p");
  said.textContent = text;
  const item = document.createElement("li");
  item.append(who, when, said);
  list.append(item);
  while (list.children.length > 100) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
});

const form = $("#chat form");
const nameField = $("#chat-name");
const textField = $("#chat-text");
const note = $("#chat .form-note");
const tell = (text, error) => {
  note.textContent = text;
  note.classList.toggle("error", error);
};
nameField.value = localStorage.getItem("demo-chat-name") ??
  "guest-" + Math.floor(100 + Math.random() * 900);
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  localStorage.setItem("demo-chat-name", nameField.value);
  const body = JSON.stringify({ name: nameField.value, text: textField.value });
  try {
    const response = await fetch("/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (!response.ok) return tell(await response.text(), true);
    textField.value = "";
    tell("Sent: every open tab got it from the channel.", false);
  } catch {
    tell("Could not reach the server.", true);
  }
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
