// sse() in process: the Response, the stream's life cycle, options. Real
// servers are exercised in server.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type CloseReason, sse, type SSEStream, StreamClosed } from "../../mod.ts";
import { scheduler } from "../../src/scheduler.ts";
import { BodyReader } from "../_read.ts";
import { delay, within } from "../_server.ts";

const request = (init?: RequestInit, url = "http://localhost/events") => new Request(url, init);

/** Runs `handler` in sse() and hands back the stream and a reader. */
function open(
  handler: (stream: SSEStream) => unknown = () => new Promise(() => {}),
  options: Parameters<typeof sse>[2] = {},
  req: Request = request(),
) {
  let stream!: SSEStream;
  const response = sse(req, (s) => {
    stream = s;
    return handler(s);
  }, { heartbeat: false, ...options });
  return { response, stream, body: new BodyReader(response) };
}

describe("response", () => {
  test("is a text/event-stream with no Connection or Transfer-Encoding header", () => {
    const { response, stream } = open();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    assert.equal(response.headers.get("connection"), null);
    assert.equal(response.headers.get("transfer-encoding"), null);
    stream.close();
  });

  test("user headers and status win over the defaults", () => {
    const { response, stream } = open(undefined, {
      status: 201,
      headers: { "cache-control": "no-store", "x-custom": "1" },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("x-custom"), "1");
    stream.close();
  });

  test("close.connection sets Connection: close", () => {
    const { response, stream } = open(undefined, { close: { connection: "close" } });
    assert.equal(response.headers.get("connection"), "close");
    stream.close();
  });

  test("the first byte is written at once: an empty comment, or retry when set", async () => {
    const plain = open();
    assert.equal(await plain.body.next(), ":\n\n");
    plain.stream.close();
    const withRetry = open(undefined, { retry: 2500 });
    assert.equal(await withRetry.body.next(), "retry: 2500\n\n");
    withRetry.stream.close();
  });

  test("events sent by the handler arrive in order", async () => {
    const { body } = open(async (stream) => {
      await stream.send({ event: "tick", id: 1, data: { n: 1 } });
      await stream.send("plain\nlines");
      await stream.comment("note");
    });
    assert.equal(
      await body.rest(),
      ':\n\nevent: tick\nid: 1\ndata: {"n":1}\n\ndata: plain\ndata: lines\n\n: note\n\n',
    );
  });
});

describe("lastEventId", () => {
  const idOf = (req: Request) => {
    const { stream } = open(undefined, {}, req);
    const id = stream.lastEventId;
    stream.close();
    return id;
  };

  test("comes from the Last-Event-ID header", () => {
    assert.equal(idOf(request({ headers: { "last-event-id": "41" } })), "41");
  });

  test("falls back to the lastEventId query parameter", () => {
    assert.equal(idOf(request({}, "http://localhost/e?lastEventId=7")), "7");
    assert.equal(
      idOf(request({ headers: { "last-event-id": "h" } }, "http://localhost/e?lastEventId=q")),
      "h",
    );
  });

  test("is null when absent or longer than 1 024 characters", () => {
    assert.equal(idOf(request()), null);
    assert.equal(idOf(request({ headers: { "last-event-id": "x".repeat(1025) } })), null);
    assert.equal(
      idOf(request({ headers: { "last-event-id": "x".repeat(1024) } })),
      "x".repeat(1024),
    );
  });
});

describe("ending", () => {
  test("signal aborts once with a StreamClosed naming the reason; closed settles with it", async () => {
    let aborts = 0;
    const { stream, body } = open((s) => {
      s.signal.addEventListener("abort", () => aborts++);
    }, { close: { onReturn: false } });
    await body.next();
    await stream.close();
    await stream.close();
    assert.equal(aborts, 1);
    assert.ok(stream.signal.reason instanceof StreamClosed);
    assert.equal(stream.signal.reason.reason, "closed");
    assert.equal(await stream.closed, "closed");
    assert.equal(await body.rest(), ":\n\n");
  });

  test("the stream ends when the handler returns, after flushing its events", async () => {
    const { stream, body } = open(async (s) => {
      for (let i = 0; i < 5; i++) s.send(`e${i}`);
      await delay(5);
    });
    const text = await body.rest();
    assert.equal(text, ":\n\n" + [0, 1, 2, 3, 4].map((i) => `data: e${i}\n\n`).join(""));
    assert.equal(await stream.closed, "returned");
  });

  test("with close.onReturn false the stream stays open until close()", async () => {
    const { stream, body } = open(() => {}, { close: { onReturn: false } });
    await body.next();
    await delay(30);
    assert.equal(stream.signal.aborted, false);
    assert.equal(await stream.send("still here"), true);
    await body.until("still here");
    await stream.close({ event: "bye" });
    assert.equal(await body.rest(), ":\n\ndata: still here\n\nevent: bye\ndata:\n\n");
  });

  test("send, comment and sleep resolve false once closed", async () => {
    const { stream } = open();
    await stream.close();
    assert.equal(await stream.send("x"), false);
    assert.equal(await stream.comment("x"), false);
    assert.equal(await stream.sleep(10), false);
  });

  test("sleep wakes early with false when the stream closes", async () => {
    const { stream } = open();
    const started = Date.now();
    const slept = stream.sleep(10_000);
    setTimeout(() => stream.close(), 20);
    assert.equal(await slept, false);
    assert.ok(Date.now() - started < 1000);
    const { stream: other } = open();
    assert.equal(await other.sleep(5), true);
    other.close();
  });

  test("sleep never wakes before its time", async () => {
    const { stream } = open();
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      assert.equal(await stream.sleep(13), true);
      const slept = performance.now() - started;
      assert.ok(slept >= 13, `slept ${slept.toFixed(2)} ms of 13`);
    }
    stream.close();
  });

  test("cancelling the body ends the stream with reason client and drops the queue", async () => {
    const { stream, body } = open();
    await body.next();
    await body.cancel("gone");
    assert.equal(await stream.closed, "client");
    assert.equal(stream.signal.reason.reason, "client");
    assert.equal(stream.signal.reason.cause, "gone");
    assert.equal(await stream.send("late"), false);
  });

  test("an aborted request signal ends the stream with reason client", async () => {
    const controller = new AbortController();
    const { stream, body } = open(undefined, {}, request({ signal: controller.signal }));
    await body.next();
    controller.abort();
    // On Deno and Bun the request signal is not read (their body cancel()
    // reports disconnects); there a client abort is covered in server.test.ts.
    // deno-lint-ignore no-explicit-any
    if ((globalThis as any).Deno || (globalThis as any).Bun) {
      await stream.close();
      return;
    }
    assert.equal(await within(stream.closed, 1000, "closed"), "client");
  });

  test("close.maxDuration closes with max-duration and writes close.final", async () => {
    const { stream, body } = open(undefined, {
      close: { maxDuration: 50, final: { event: "bye", retry: 30000 } },
    });
    assert.equal(await within(stream.closed, 2000, "closed"), "max-duration");
    assert.equal(await body.rest(), ":\n\nevent: bye\nretry: 30000\ndata:\n\n");
  });

  test("close.idleTimeout counts events, not heartbeats", async () => {
    const started = Date.now();
    const { stream, body } = open(async (s) => {
      for (let i = 0; i < 4; i++) {
        await s.send(`e${i}`);
        await s.sleep(40);
      }
    }, { heartbeat: 10, close: { idleTimeout: 300, onReturn: false } });
    const reading = body.rest();
    assert.equal(await within(stream.closed, 5000, "closed"), "idle");
    const elapsed = Date.now() - started;
    // The last event goes out at about 120 ms (later on a loaded machine,
    // where a 40 ms sleep may take much longer but never 300 ms).
    assert.ok(elapsed >= 400, `closed after ${elapsed} ms, before the events stopped`);
    const text = await reading;
    assert.match(text, /data: e3/);
    assert.match(text, /:\n\n:\n\n/, "heartbeats were sent while idle");
  });

  test("shutdown closes every stream with reason shutdown and the final event", async () => {
    const shutdown = new AbortController();
    const streams = [0, 1, 2].map(() =>
      open(undefined, { shutdown: shutdown.signal, close: { final: { event: "restart" } } })
    );
    shutdown.abort();
    for (const { stream, body } of streams) {
      assert.equal(await stream.closed, "shutdown");
      assert.equal(await body.rest(), ":\n\nevent: restart\ndata:\n\n");
    }
    let ran = false;
    const late = open(() => ran = true, { shutdown: shutdown.signal });
    assert.equal(await late.body.rest(), ":\n\n");
    assert.equal(ran, false, "the handler of a stream that is already shut down does not run");
  });

  test("close(final) writes that event instead of close.final", async () => {
    const { stream, body } = open(undefined, { close: { final: { event: "default" } } });
    await stream.close({ event: "mine", data: "x" });
    assert.equal(await body.rest(), ":\n\nevent: mine\ndata: x\n\n");
  });
});

describe("handler errors", () => {
  test("close the stream with reason error, cause attached, nothing sent", async () => {
    const failure = new Error("boom");
    const logged: unknown[] = [];
    const { stream, body } = open(async (s) => {
      await s.send("before");
      throw failure;
    }, {
      onError: (error) => {
        logged.push(error);
      },
    });
    assert.equal(await stream.closed, "error");
    assert.equal(stream.signal.reason.cause, failure);
    assert.deepEqual(logged, [failure]);
    assert.equal(await body.rest(), ":\n\ndata: before\n\n");
  });

  test("onError's event is sent before the stream closes", async () => {
    const { stream, body } = open(() => {
      throw new Error("sync boom");
    }, { onError: () => ({ event: "error", data: "try later" }) });
    assert.equal(await stream.closed, "error");
    assert.equal(await body.rest(), ":\n\nevent: error\ndata: try later\n\n");
  });

  test("an async onError's event is sent before the stream closes", async () => {
    const { stream, body } = open(() => Promise.reject(new Error("x")), {
      onError: async (error) => {
        await delay(5);
        return { event: "error", data: (error as Error).message };
      },
    });
    assert.equal(await body.rest(), ":\n\nevent: error\ndata: x\n\n");
    assert.equal(await stream.closed, "error");
  });

  test("an onError that rejects or never settles closes the stream, with nothing unhandled", async () => {
    const { trapUnhandledRejections } = await import("../_read.ts");
    const unhandled = await trapUnhandledRejections(async () => {
      const rejecting = open(() => Promise.reject(new Error("x")), {
        onError: () => Promise.reject(new Error("onError failed")),
      });
      assert.equal(await rejecting.body.rest(), ":\n\n");
      assert.equal(await rejecting.stream.closed, "error");
      const started = performance.now();
      const hanging = open(() => Promise.reject(new Error("x")), {
        onError: () => new Promise(() => {}),
      });
      assert.equal(await within(hanging.stream.closed, 3000, "the onError bound"), "error");
      assert.ok(performance.now() - started >= 900, "onError had its second");
      assert.equal(await hanging.body.rest(), ":\n\n");
    });
    assert.deepEqual(unhandled, []);
  });

  test("a handler failing after the client left is not reported", async () => {
    let reported = 0;
    const { stream, body } = open(async (s) => {
      await new Promise((resolve) => s.signal.addEventListener("abort", resolve));
      throw s.signal.reason;
    }, { onError: () => void reported++ });
    await body.next();
    await body.cancel();
    assert.equal(await stream.closed, "client");
    await delay(10);
    assert.equal(reported, 0);
  });
});

describe("invalid input", () => {
  test("send() rejects, writes nothing, and the stream stays usable", async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const bad: [unknown, ErrorConstructor][] = [
      [{ id: "a\nb", data: 1 }, TypeError],
      [{ id: "a\0b", data: 1 }, TypeError],
      [{ event: "a\rb", data: 1 }, TypeError],
      [{ retry: -1 }, RangeError],
      [{ retry: 1.5 }, RangeError],
      [{ retry: NaN }, RangeError],
      [{ data: cycle }, TypeError],
      [{ data: 10n }, TypeError],
      [{}, TypeError],
    ];
    const { stream, body } = open(async (s) => {
      for (const [event, type] of bad) {
        // deno-lint-ignore no-explicit-any
        await assert.rejects(s.send(event as any), type);
      }
      assert.equal(await s.send("fine"), true);
    });
    assert.equal(await body.rest(), ":\n\ndata: fine\n\n");
    assert.equal(await stream.closed, "returned");
  });

  test("invalid options throw at once with a message that says what to fix", () => {
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      [{ heartbeat: 0 }, RangeError, /heartbeat/],
      [{ heartbeat: { interval: -1 } }, RangeError, /heartbeat.interval/],
      [{ heartbeat: { interval: 10, comment: "a", event: { data: 1 } } }, TypeError, /not both/],
      [{ retry: -5 }, RangeError, /retry/],
      [{ close: { maxDuration: 0 } }, RangeError, /close.maxDuration/],
      [{ close: { final: { id: "\n" } } }, TypeError, /close.final/],
      [{ close: { connection: "keep-alive" } }, TypeError, /close.connection/],
      [{ highWaterMark: -1 }, RangeError, /highWaterMark/],
      [{ highWaterMark: 100, maxBuffered: 10 }, RangeError, /maxBuffered/],
      [{ onSlowConsumer: "block" }, TypeError, /onSlowConsumer/],
      [{ status: 204 }, RangeError, /status/],
      [{ shutdown: {} }, TypeError, /shutdown/],
      [{ heartbeats: 10 }, TypeError, /unknown option `heartbeats`/],
    ];
    for (const [options, type, message] of cases) {
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => sse(request(), () => {}, options as any),
        (error: unknown) => error instanceof type && message.test((error as Error).message),
        JSON.stringify(options),
      );
    }
    // deno-lint-ignore no-explicit-any
    assert.throws(() => sse(request(), 42 as any), TypeError);
  });
});

describe("generators", () => {
  test("each yielded value is sent and the stream ends with the iterable", async () => {
    async function* source() {
      yield "one";
      yield { event: "two", data: 2 };
    }
    const response = sse(request(), source(), { heartbeat: false });
    assert.equal(await response.text(), ":\n\ndata: one\n\nevent: two\ndata: 2\n\n");
  });

  test("a generator's finally runs when the client goes away", async () => {
    let finalized = false;
    async function* source() {
      try {
        for (let i = 0;; i++) {
          yield `e${i}`;
          await delay(5);
        }
      } finally {
        finalized = true;
      }
    }
    const response = sse(request(), source(), { heartbeat: false });
    const body = new BodyReader(response);
    await body.until("e2");
    await body.cancel();
    await within(
      (async () => {
        while (!finalized) await delay(5);
      })(),
      1000,
      "the generator's finally",
    );
  });

  test("a handler may return an async iterable, given the stream", async () => {
    const response = sse(request(), async function* (stream: SSEStream) {
      yield { data: stream.lastEventId ?? "none" };
    }, { heartbeat: false });
    assert.equal(await response.text(), ":\n\ndata: none\n\n");
  });

  test("a generator that throws closes the stream with reason error", async () => {
    let stream!: SSEStream;
    const response = sse(request(), async function* (s: SSEStream) {
      stream = s;
      yield "first";
      throw new Error("generator failed");
    }, { heartbeat: false, onError: () => {} });
    assert.equal(await response.text(), ":\n\ndata: first\n\n");
    assert.equal(await stream.closed, "error");
  });
});

describe("close reasons", () => {
  test("every reason ends the stream exactly once, with no unhandled rejection or timer left", async () => {
    const { trapUnhandledRejections } = await import("../_read.ts");
    const tasksBefore = scheduler.pending;
    const shutdown = new AbortController();
    const reasons: CloseReason[] = [];
    const unhandled = await trapUnhandledRejections(async () => {
      const runs: [CloseReason, () => Promise<CloseReason>][] = [
        ["client", async () => {
          const { stream, body } = open();
          await body.next();
          await body.cancel();
          return stream.closed;
        }],
        ["closed", () => {
          const { stream } = open();
          stream.close();
          return stream.closed;
        }],
        ["returned", () => open(() => {}).stream.closed],
        ["max-duration", () => open(undefined, { close: { maxDuration: 10 } }).stream.closed],
        ["idle", () => open(undefined, { close: { idleTimeout: 10 } }).stream.closed],
        ["slow-consumer", () => {
          const { stream } = open(undefined, { highWaterMark: 10, maxBuffered: 100 });
          for (let i = 0; i < 20; i++) stream.send("0123456789");
          return stream.closed;
        }],
        [
          "error",
          () =>
            open(() => Promise.reject(new Error("x")), { onError: () => ({ data: "e" }) }).stream
              .closed,
        ],
        ["shutdown", () => {
          const run = open(undefined, { shutdown: shutdown.signal });
          setTimeout(() => shutdown.abort(), 5);
          return run.stream.closed;
        }],
      ];
      for (const [expected, run] of runs) {
        const reason = await within(run(), 2000, expected);
        assert.equal(reason, expected);
        reasons.push(reason);
      }
    });
    assert.deepEqual(unhandled, []);
    assert.equal(reasons.length, 8);
    assert.equal(
      scheduler.pending,
      tasksBefore,
      "every stream's heartbeat and deadlines were released",
    );
  });
});
