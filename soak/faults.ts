// Faulty handlers: each way a handler fails, many times over, while the
// server must keep answering, every response must end, and each stream must
// end with the documented close reason (without an unhandled rejection).

import { type Runtime, startServer } from "../bench/proc.ts";
import { count, footer, load, table } from "../bench/report.ts";
import { Conn, delay, pool } from "./conn.ts";
import type { SoakContext } from "./main.ts";

/** Each kind of failure (soak/handlers.ts) and the close reason the README documents for it. */
const EXPECTED: Record<string, string> = {
  "sync-throw": "error",
  reject: "error",
  iterable: "error",
  "invalid-send": "error",
  "onerror-throw": "error",
  "onerror-async": "error",
  "onerror-event": "error",
  flood: "slow-consumer",
  "flood-drop": "returned",
};

interface ServerStats {
  faults: Record<string, Record<string, number>>;
  unhandled: number;
  unhandledSamples: string[];
  logged: number;
}

async function exercise(runtime: Runtime, perKind: number, rounds: number) {
  const server = await startServer(runtime, "soak/server.ts");
  try {
    /** Responses that ended: the whole body, or the connection closed by the server (aborted). */
    const ended: Record<string, { complete: number; aborted: number }> = {};
    const finalEvent: Record<string, number> = {};
    let pings = 0;
    let pingsFailed = 0;
    for (let r = 0; r < rounds; r++) {
      const jobs = Object.keys(EXPECTED).flatMap((kind) =>
        Array<string>(Math.ceil(perKind / rounds)).fill(kind)
      );
      await pool(jobs, 24, async (kind) => {
        const conn = await Conn.open(server.port, `/fault?kind=${kind}`, {
          keepText: kind === "onerror-event",
        });
        await Promise.race([conn.readToEnd(), delay(10_000)]);
        const tally = ended[kind] ??= { complete: 0, aborted: 0 };
        if (conn.end === "body") tally.complete++;
        else if (conn.end === "eof" || conn.end === "reset") tally.aborted++;
        if (conn.text.includes("event: failed\ndata: sorry\n\n")) {
          finalEvent[kind] = (finalEvent[kind] ?? 0) + 1;
        }
        conn.close();
      });
      // The server still answers between rounds.
      const ok = await Promise.race([
        server.get<{ pong: boolean }>("/ping").then((p) => p.pong, () => false),
        delay(2000).then(() => false),
      ]);
      pings++;
      if (!ok) pingsFailed++;
    }
    await delay(500);
    const stats = await server.get<ServerStats>("/stats");
    return {
      ended,
      finalEvent,
      pings,
      pingsFailed,
      stats,
      perKind: Math.ceil(perKind / rounds) * rounds,
    };
  } finally {
    await server.stop();
  }
}

/** The faulty handlers section. */
export async function faults(context: SoakContext): Promise<string> {
  const perKind = context.quick ? 20 : 200;
  const rounds = context.quick ? 2 : 10;
  const before = await load();
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const runtime of context.runtimes) {
    context.log(`faults: ${runtime}`);
    const r = await exercise(runtime, perKind, rounds);
    if (r.pingsFailed > 0) context.broken(`faults ${runtime}: ${r.pingsFailed} pings unanswered`);
    if (r.stats.unhandled > 0) {
      context.broken(`faults ${runtime}: ${r.stats.unhandled} unhandled rejections`);
    }
    for (const [kind, expected] of Object.entries(EXPECTED)) {
      const reasons = r.stats.faults[kind] ?? {};
      const { complete, aborted } = r.ended[kind] ?? { complete: 0, aborted: 0 };
      if (complete + aborted < r.perKind) {
        context.broken(
          `faults ${runtime} ${kind}: ${r.perKind - complete - aborted} responses did not end`,
        );
      }
      if ((reasons[expected] ?? 0) < r.perKind) {
        context.broken(`faults ${runtime} ${kind}: close reasons ${JSON.stringify(reasons)}`);
      }
      const seen = Object.entries(reasons).map(([reason, n]) => `${reason} ${n}`).join(", ");
      rows.push([
        runtime,
        kind,
        count(r.perKind),
        `${count(complete)} / ${count(aborted)}`,
        seen || "none",
        (reasons[expected] ?? 0) === r.perKind ? `${expected}: yes` : `${expected}: NO`,
        kind === "onerror-event" ? count(r.finalEvent[kind] ?? 0) : "",
      ]);
    }
    notes.push(
      `${runtime}: server answered ${r.pings - r.pingsFailed} of ${r.pings} pings between ` +
        `rounds; ${r.stats.unhandled} unhandled rejections` +
        (r.stats.unhandled > 0 ? ` (${r.stats.unhandledSamples[0]})` : "") +
        `; ${r.stats.logged} lines logged with console.error.`,
    );
  }
  const after = await load();
  return [
    "### Faulty handlers",
    "",
    "`npm run soak -- faults`",
    "",
    table([
      "runtime",
      "handler",
      "requests",
      "ended: whole / aborted",
      "close reasons",
      "as documented",
      "final event",
    ], rows),
    "",
    ...notes.flatMap((note) => [note, ""]),
    "Handlers: sync-throw throws at once; reject sends one event then rejects; iterable " +
    "returns an async generator that throws after two events; invalid-send awaits " +
    "`send({ retry: -1 })`; onerror-throw, onerror-async and onerror-event reject with an " +
    "`onError` that throws, returns a rejected promise, or returns an event (which must be " +
    "the body's last); flood queues 20 000 1 KiB events without awaiting (default " +
    '`onSlowConsumer` "close", and "drop"). ' +
    `${rounds} rounds, 24 requests at a time, then a \`/ping\` that must answer within 2 s. ` +
    "Ended: the whole body (chunked terminator), or aborted (the server dropped the " +
    "connection, as it does for a slow consumer); a response still open after 10 s fails.",
    "",
    footer(context.machine, before, after),
  ].join("\n");
}
