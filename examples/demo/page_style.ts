/**
 * The demo page's CSS: cards on a grid, light and dark (`prefers-color-scheme`).
 *
 * @module
 */

/** The page's stylesheet. */
export const CSS: string = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #fff; --text: #1d2330; --muted: #6b7385; --line: #e4e7ec;
  --accent: #4f46e5; --ok: #15a34a; --warn: #d97706; --bad: #dc2626; --info: #2563eb;
  --off: #9aa1ae; --code: #f1f3f7; --field: #fff; --on-accent: #fff;
  --series-0: #4f46e5; --series-1: #0d9488; --series-2: #e11d48;
  --name-lightness: 40%;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1218; --card: #181c25; --text: #e8eaf0; --muted: #98a0b3; --line: #2a303c;
    --accent: #8b85ff; --ok: #22c55e; --warn: #f59e0b; --bad: #f87171; --info: #60a5fa;
    --code: #222835; --field: #11151c; --on-accent: #0f1218;
    --series-0: #8b85ff; --series-1: #2dd4bf; --series-2: #fb7185;
    --name-lightness: 72%;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header.top { max-width: 1180px; margin: 0 auto; padding: 28px 24px 8px; }
h1 { margin: 0; font-size: 24px; letter-spacing: -0.01em; }
h1 span { color: var(--accent); }
header.top p { margin: 4px 0 0; color: var(--muted); }

/* Three equal columns; a row's cards share its height (the grid stretches them). */
main {
  max-width: 1180px; margin: 0 auto; padding: 16px 24px 32px;
  display: grid; gap: 16px; grid-template-columns: repeat(3, minmax(0, 1fr));
}
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: 18px 20px; box-shadow: 0 1px 2px rgb(0 0 0 / 0.04); min-width: 0;
  display: flex; flex-direction: column;
}
.card.span-2 { grid-column: span 2; }
.card.wide { grid-column: 1 / -1; }
@media (max-width: 860px) {
  main { grid-template-columns: minmax(0, 1fr); }
  .card.span-2 { grid-column: auto; }
}
.card h2 {
  margin: 0; font-size: 13px; font-weight: 600; text-transform: uppercase;
  letter-spacing: 0.06em; color: var(--muted); display: flex; align-items: center; gap: 8px;
}
.card h2 code { text-transform: none; letter-spacing: 0; font-weight: 500; }
.status {
  margin-left: auto; font-size: 12px; font-weight: 500; text-transform: none;
  letter-spacing: 0; display: inline-flex; align-items: center; gap: 6px; white-space: nowrap;
}
.status::before {
  content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--off);
}
.status[data-state="open"]::before {
  background: var(--ok); box-shadow: 0 0 0 3px rgb(21 163 74 / 0.15);
}
.status[data-state="connecting"]::before { background: var(--warn); }
.big {
  font-size: 46px; font-weight: 650; letter-spacing: -0.02em; margin: 10px 0 2px;
  font-variant-numeric: tabular-nums;
}
.sub { color: var(--muted); font-size: 13px; min-height: 20px; }
.note { color: var(--muted); font-size: 12.5px; margin: 10px 0 0; }
code, pre, samp { font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--code); padding: 1px 5px; border-radius: 5px; }

/* Raw events: one wire line per line, never wrapped inside a value; scroll if too long. */
pre {
  background: var(--code); border-radius: 8px; padding: 8px 10px; margin: 12px 0 0;
  white-space: pre; overflow-x: auto; min-height: 64px; scrollbar-width: thin;
}
/* A card's last raw-event box sits at its bottom, so the boxes of a row line up. */
.card > pre:last-child { margin-top: auto; }
.card > :has(+ pre:last-child) { margin-bottom: 12px; }

.bar {
  height: 6px; background: var(--code); border-radius: 3px; overflow: hidden; margin: 10px 0;
}
.bar div { height: 100%; width: 0; background: var(--accent); border-radius: 3px; }
.message { font-size: 13.5px; min-height: 42px; }
.message.closed { color: var(--warn); }
button {
  font: inherit; font-size: 12px; color: var(--accent); background: none; cursor: pointer;
  border: 1px solid var(--line); border-radius: 6px; padding: 2px 8px; margin-left: 6px;
}

/* Metrics: one row per series, its latest value beside a chart of the last samples. */
.series {
  display: grid; grid-template-columns: 128px minmax(0, 1fr); gap: 4px 16px; margin-top: 12px;
}
.series + .series { margin-top: 10px; }
.series .label { font-size: 12px; color: var(--muted); }
.series .value {
  font-size: 24px; font-weight: 650; letter-spacing: -0.01em; line-height: 1.15;
  font-variant-numeric: tabular-nums;
}
.series .range { font-size: 11.5px; color: var(--muted); font-variant-numeric: tabular-nums; }
.series svg {
  width: 100%; height: 62px; display: block; align-self: center;
  background:
    linear-gradient(var(--line), var(--line)) 0 0 / 100% 1px no-repeat,
    linear-gradient(var(--line), var(--line)) 0 100% / 100% 1px no-repeat;
}
.series .line { fill: none; stroke: currentColor; stroke-width: 2; stroke-linejoin: round; }
.series .area { fill: currentColor; opacity: 0.12; stroke: none; }
.series .dot { fill: currentColor; }
.series:nth-child(3n + 1) { color: var(--series-0); }
.series:nth-child(3n + 2) { color: var(--series-1); }
.series:nth-child(3n + 3) { color: var(--series-2); }
.series .value, .series .label, .series .range { grid-column: 1; }
.series svg { grid-column: 2; grid-row: 1 / span 3; }
.series .value { color: var(--text); }

/* Chat: the list takes the card's free height and scrolls; it does not grow the row. */
.messages {
  list-style: none; margin: 12px 0 0; padding: 4px 0; flex: 1 1 0; min-height: 180px;
  overflow-y: auto; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line);
}
.messages li { padding: 5px 0; font-size: 13.5px; overflow-wrap: anywhere; }
.messages li.empty { color: var(--muted); }
.messages b { color: hsl(var(--hue, 230) 65% var(--name-lightness)); font-weight: 600; }
.messages time { color: var(--muted); font-size: 11.5px; margin-left: 6px; }
.messages p { margin: 1px 0 0; }
form { display: flex; gap: 6px; margin-top: 10px; }
input {
  font: inherit; font-size: 13.5px; color: var(--text); background: var(--field);
  border: 1px solid var(--line); border-radius: 8px; padding: 6px 9px; min-width: 0;
}
input:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
input[name="name"] { width: 88px; flex: none; }
input[name="text"] { flex: 1; }
form button {
  margin: 0; font-size: 13px; font-weight: 600; color: var(--on-accent); background: var(--accent);
  border-color: transparent; border-radius: 8px; padding: 6px 12px;
}
.form-note { font-size: 12px; color: var(--muted); margin: 6px 0 0; min-height: 18px; }
.form-note.error { color: var(--bad); }

/* Close reasons. */
table { width: 100%; border-collapse: collapse; margin-top: 10px; font-size: 13.5px; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; }
th, td { padding: 6px 8px 6px 0; border-bottom: 1px solid var(--line); }
td.num { font-variant-numeric: tabular-nums; }
.reason {
  display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 500; background: var(--code); white-space: nowrap;
}
.reason.client { color: var(--info); }
.reason.max-duration { color: var(--warn); }
.reason.error, .reason.slow-consumer { color: var(--bad); }
.reason.shutdown, .reason.closed, .reason.returned, .reason.idle { color: var(--ok); }
.empty td { color: var(--muted); }
footer {
  max-width: 1180px; margin: 0 auto; padding: 0 24px 32px; color: var(--muted); font-size: 13px;
}
`;
