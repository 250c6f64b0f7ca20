import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, events, EventStreamError, type ServerSentEvent } from "../../client.ts";
import { sse, type SSEStream } from "../../mod.ts";
import { delay, type Handler, serve, type TestServer, within } from "../_server.ts";

/** A request as the server saw it. */
interface Seen {
  at: number;
  lastEventId: string | null;
  method: string;
  authorization: string | null;
  accept: string | null;
  body: string;
}

/** Starts a server whose handler gets the request's number (0, 1, …); records every request. */
async function server(
  handle: (n: number, request: Request, bun: unknown) => Response | Promise<Response>,
): Promise<TestServer & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler: Handler = async (request, bun) => {
    seen.push({
      at: performance.now(),
      lastEventId: request.headers.get("last-event-id"),
      method: request.method,
      authorization: request.headers.get("authorization"),
      accept: request.headers.get("accept"),
      body: await request.text(),
    });
    return handle(seen.length - 1, request, bun);
  };
  return Object.assign(await serve(handler), { seen });
}

/** An edge-sse stream that sends `events` and ends. */
function stream(
  request: Request,
  bun: unknown,
  source: (stream: SSEStream) => unknown,
  retry?: number,
): Response {
  // deno-lint-ignore no-explicit-any
  return sse(request, source, { retry, server: bun as any });
}

/** Collects events until `count` are received (then leaves the loop) or the iteration ends. */
async function collect(
  iterable: AsyncIterable<ServerSentEvent>,
  count = Infinity,
  ms = 5000,
): Promise<ServerSentEvent[]> {
  const received: ServerSentEvent[] = [];
  await within(
    (async () => {
      for await (const event of iterable) {
        received.push(event);
        if (received.length >= count) break;
      }
    })(),
    ms,
    "collecting events",
  );
  return received;
}

const noContent = () => new Response(null, { status: 204 });

describe("connect: reconnection", () => {
  test("a reconnection sends Last-Event-ID and resumes with no gap and no duplicate", async () => {
    const upstream = await server((_, request, bun) =>
      stream(request, bun, async (s) => {
        const from = s.lastEventId === null ? 1 : Number(s.lastEventId) + 1;
        for (let n = from; n < from + 3; n++) await s.send({ id: n, data: `event ${n}` });
      }, 10)
    );
    try {
      const received = await collect(connect(upstream.url), 10);
      assert.deepEqual(
        received.map((event) => event.data),
        Array.from({ length: 10 }, (_, i) => `event ${i + 1}`),
      );
      assert.deepEqual(
        received.map((event) => event.lastEventId),
        Array.from({ length: 10 }, (_, i) => `${i + 1}`),
      );
      assert.deepEqual(upstream.seen.map((r) => r.lastEventId), [null, "3", "6", "9"]);
      assert.ok(upstream.seen.every((r) => r.accept === "text/event-stream"));
    } finally {
      await upstream.close();
    }
  });

  test("a connection dropped mid-event resumes after the last complete event", async () => {
    const encoder = new TextEncoder();
    const upstream = await server((n, request, bun) => {
      if (n === 0) {
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode("retry: 10\nid: 1\ndata: one\n\nid: 2\ndata: tw"));
            await delay(50);
            controller.error(new Error("the upstream crashed"));
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      }
      if (n === 1) {
        return stream(request, bun, async (s) => {
          await s.send({ id: 2, data: "two" });
          await s.send({ id: 3, data: "three" });
        });
      }
      return noContent();
    });
    try {
      const received = await collect(connect(upstream.url));
      assert.deepEqual(received.map((event) => event.data), ["one", "two", "three"]);
      assert.deepEqual(upstream.seen.map((r) => r.lastEventId), [null, "1", "3"]);
    } finally {
      await upstream.close();
    }
  });

  test("the last event id carries over a connection that sends no id", async () => {
    const upstream = await server((n, request, bun) => {
      if (n === 0) return stream(request, bun, (s) => s.send({ id: 5, data: "with id" }), 10);
      if (n === 1) return stream(request, bun, (s) => s.send("without id"), 10);
      return noContent();
    });
    try {
      const received = await collect(connect(upstream.url));
      assert.deepEqual(received.map((event) => [event.data, event.lastEventId]), [
        ["with id", "5"],
        ["without id", "5"],
      ]);
      assert.deepEqual(upstream.seen.map((r) => r.lastEventId), [null, "5", "5"]);
    } finally {
      await upstream.close();
    }
  });

  test("the server's retry sets the delay before reconnecting, over init.retry", async () => {
    let firstClosed = 0;
    const upstream = await server((n, request, bun) =>
      n === 0
        ? stream(request, bun, async (s) => {
          s.closed.then(() => firstClosed = performance.now());
          await s.send("once");
        }, 300)
        : noContent()
    );
    try {
      await collect(connect(upstream.url, { retry: 20 }));
      assert.equal(upstream.seen.length, 2);
      const gap = upstream.seen[1].at - firstClosed;
      assert.ok(gap >= 290 && gap < 1000, `reconnected ${gap.toFixed(0)} ms after the end`);
    } finally {
      await upstream.close();
    }
  });

  test("init.retry is the delay until the server sends one", async () => {
    let firstClosed = 0;
    const upstream = await server((n, request, bun) =>
      n === 0
        ? stream(request, bun, async (s) => {
          s.closed.then(() => firstClosed = performance.now());
          await s.send("once");
        })
        : noContent()
    );
    try {
      await collect(connect(upstream.url, { retry: 150 }));
      const gap = upstream.seen[1].at - firstClosed;
      assert.ok(gap >= 140 && gap < 1000, `reconnected ${gap.toFixed(0)} ms after the end`);
    } finally {
      await upstream.close();
    }
  });

  test("204 stops reconnecting and ends the iteration", async () => {
    const upstream = await server((n, request, bun) =>
      n === 0 ? stream(request, bun, (s) => s.send("only"), 10) : noContent()
    );
    try {
      const received = await collect(connect(upstream.url));
      assert.deepEqual(received.map((event) => event.data), ["only"]);
      await delay(100);
      assert.equal(upstream.seen.length, 2);
    } finally {
      await upstream.close();
    }
  });

  test("a method, a body and headers from a function are sent on every attempt", async () => {
    const upstream = await server((n, request, bun) =>
      n === 0 ? stream(request, bun, (s) => s.send("first"), 10) : noContent()
    );
    let token = 0;
    try {
      await collect(connect(upstream.url, {
        method: "POST",
        body: JSON.stringify({ topic: "news" }),
        headers: () => Promise.resolve({ authorization: `Bearer ${++token}` }),
      }));
      assert.deepEqual(
        upstream.seen.map(({ method, body, authorization }) => ({ method, body, authorization })),
        [
          { method: "POST", body: '{"topic":"news"}', authorization: "Bearer 1" },
          { method: "POST", body: '{"topic":"news"}', authorization: "Bearer 2" },
        ],
      );
    } finally {
      await upstream.close();
    }
  });
});

describe("connect: errors", () => {
  test("a 4xx stops at once with an EventStreamError", async () => {
    const upstream = await server(() => new Response("no", { status: 401 }));
    try {
      await assert.rejects(collect(connect(upstream.url, { retry: 10 })), (error) => {
        assert.ok(error instanceof EventStreamError);
        assert.equal(error.status, 401);
        assert.match(error.message, /expected a 2xx event stream, got HTTP 401/);
        return true;
      });
      await delay(50);
      assert.equal(upstream.seen.length, 1);
    } finally {
      await upstream.close();
    }
  });

  test("a response that is not text/event-stream stops with an EventStreamError", async () => {
    const upstream = await server(() =>
      new Response("<html>", { headers: { "content-type": "text/html" } })
    );
    try {
      await assert.rejects(collect(connect(upstream.url, { retry: 10 })), {
        name: "EventStreamError",
        message: /expected content-type text\/event-stream, got "text\/html"/,
      });
      assert.equal(upstream.seen.length, 1);
    } finally {
      await upstream.close();
    }
  });

  test("5xx is retried with capped exponential backoff up to maxRetries, then thrown", async () => {
    const upstream = await server(() => new Response("down", { status: 503 }));
    try {
      await assert.rejects(
        collect(connect(upstream.url, { retry: 100, maxRetries: 4, maxRetryDelay: 250 })),
        (error) => {
          assert.ok(error instanceof EventStreamError);
          assert.equal(error.status, 503);
          assert.match(error.message, /gave up after 5 attempts/);
          return true;
        },
      );
      assert.equal(upstream.seen.length, 5);
      const gaps = upstream.seen.slice(1).map((r, i) => r.at - upstream.seen[i].at);
      // Doubling from retry, capped: uncapped would be 100, 200, 400, 800.
      const expected = [100, 200, 250, 250];
      gaps.forEach((gap, i) => {
        assert.ok(
          gap >= expected[i] - 5 && gap < expected[i] + 140,
          `gaps ${gaps.map((g) => g.toFixed(0))}, expected about ${expected}`,
        );
      });
    } finally {
      await upstream.close();
    }
  });

  test("only failures in a row count towards maxRetries", async () => {
    const upstream = await server((n, request, bun) => {
      if (n === 2) return stream(request, bun, (s) => s.send({ id: 1, data: "up" }));
      if (n === 5) return noContent();
      return new Response("down", { status: 502 });
    });
    try {
      const received = await collect(connect(upstream.url, { retry: 5, maxRetries: 2 }));
      assert.deepEqual(received.map((event) => event.data), ["up"]);
      assert.equal(upstream.seen.length, 6);
      assert.deepEqual(upstream.seen.map((r) => r.lastEventId), [null, null, null, "1", "1", "1"]);
    } finally {
      await upstream.close();
    }
  });

  test("network errors are retried up to maxRetries, then thrown", async () => {
    const gone = await serve(() => new Response(null));
    await gone.close();
    let attempts = 0;
    const started = performance.now();
    await assert.rejects(
      collect(connect(gone.url, {
        retry: 10,
        maxRetries: 2,
        fetch: (request) => {
          attempts++;
          return fetch(request);
        },
      })),
      TypeError,
    );
    assert.equal(attempts, 3);
    assert.ok(performance.now() - started >= 25, "waited between attempts");
  });

  test("jitter waits a random part (half to all) of each delay", async () => {
    const upstream = await server(() => new Response("down", { status: 503 }));
    const random = Math.random;
    Math.random = () => 0;
    try {
      const init = { retry: 400, maxRetries: 1, jitter: true };
      await assert.rejects(collect(connect(upstream.url, init)), EventStreamError);
      const gap = upstream.seen[1].at - upstream.seen[0].at;
      assert.ok(gap >= 195 && gap < 360, `retried after ${gap.toFixed(0)} ms, expected about 200`);
    } finally {
      Math.random = random;
      await upstream.close();
    }
  });

  test("invalid arguments throw when connect is called", () => {
    // deno-lint-ignore no-explicit-any
    const bad = (init: any) => () => connect("http://127.0.0.1:9/", init);
    assert.throws(bad({ retry: -1 }), RangeError);
    assert.throws(bad({ maxRetries: 1.5 }), RangeError);
    assert.throws(bad({ maxRetryDelay: Infinity }), RangeError);
    assert.throws(bad({ jitter: 1 }), TypeError);
    assert.throws(bad({ signal: {} }), TypeError);
    assert.throws(bad({ body: new ReadableStream() }), /cannot be a ReadableStream/);
    assert.throws(bad({ maxEventSize: 0 }), RangeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => connect(42 as any), TypeError);
    connect("http://127.0.0.1:9/", { maxRetries: Infinity });
  });
});

describe("connect: abort", () => {
  /** A server streaming an event every 20 ms until the client leaves; records when it noticed. */
  async function ticker() {
    const ended: { at: number; reason: unknown }[] = [];
    const upstream = await server((_, request, bun) =>
      stream(request, bun, async (s) => {
        s.signal.addEventListener("abort", () => {
          ended.push({
            at: performance.now(),
            reason: (s.signal.reason as { reason: unknown }).reason,
          });
        });
        for (let n = 1; await s.send({ id: n, data: `${n}` }); n++) await s.sleep(20);
      })
    );
    return Object.assign(upstream, { ended });
  }

  test("aborting the signal while reading ends the iteration within 50 ms and closes the connection", async () => {
    const upstream = await ticker();
    try {
      const controller = new AbortController();
      let abortedAt = 0;
      const received: ServerSentEvent[] = [];
      await within(
        (async () => {
          for await (const event of connect(upstream.url, { signal: controller.signal })) {
            received.push(event);
            if (received.length === 3) {
              setTimeout(() => {
                abortedAt = performance.now();
                controller.abort();
              }, 5);
            }
          }
        })(),
        5000,
        "the iteration to end",
      );
      const took = performance.now() - abortedAt;
      assert.ok(took < 50, `ended ${took.toFixed(1)} ms after the abort`);
      assert.ok(received.length >= 3);
      await within(
        (async () => {
          while (upstream.ended.length === 0) await delay(5);
        })(),
        1000,
        "the server to see the client leave",
      );
      assert.equal(upstream.ended[0].reason, "client");
    } finally {
      await upstream.close();
    }
  });

  test("aborting while waiting to retry ends the iteration within 50 ms", async () => {
    const upstream = await server(() => new Response("down", { status: 503 }));
    try {
      const controller = new AbortController();
      const iteration = collect(connect(upstream.url, { signal: controller.signal, retry: 5000 }));
      while (upstream.seen.length === 0) await delay(5);
      await delay(20);
      const abortedAt = performance.now();
      controller.abort();
      assert.deepEqual(await iteration, []);
      const took = performance.now() - abortedAt;
      assert.ok(took < 50, `ended ${took.toFixed(1)} ms after the abort`);
      assert.equal(upstream.seen.length, 1);
    } finally {
      await upstream.close();
    }
  });

  test("aborting while connecting ends the iteration within 50 ms", async () => {
    const upstream = await server(async () => {
      await delay(500);
      return noContent();
    });
    try {
      const controller = new AbortController();
      const iteration = collect(connect(upstream.url, { signal: controller.signal }));
      while (upstream.seen.length === 0) await delay(5);
      const abortedAt = performance.now();
      controller.abort();
      assert.deepEqual(await iteration, []);
      const took = performance.now() - abortedAt;
      assert.ok(took < 50, `ended ${took.toFixed(1)} ms after the abort`);
      await delay(500);
    } finally {
      await upstream.close();
    }
  });

  test("an already-aborted signal ends at once without a request", async () => {
    const upstream = await server(noContent);
    try {
      const received = await collect(
        connect(upstream.url, { signal: AbortSignal.abort() }),
        Infinity,
        50,
      );
      assert.deepEqual(received, []);
      await delay(50);
      assert.equal(upstream.seen.length, 0);
    } finally {
      await upstream.close();
    }
  });

  test("leaving the loop closes the connection", async () => {
    const upstream = await ticker();
    try {
      await collect(connect(upstream.url), 2);
      await within(
        (async () => {
          while (upstream.ended.length === 0) await delay(5);
        })(),
        1000,
        "the server to see the client leave",
      );
      assert.equal(upstream.seen.length, 1);
    } finally {
      await upstream.close();
    }
  });
});

describe("events", () => {
  test("reads one response's events without reconnecting", async () => {
    const upstream = await server((_, request, bun) =>
      stream(request, bun, async (s) => {
        await s.send({ event: "greeting", id: 1, data: "hello" });
        await s.send({ data: { n: 2 } });
      }, 10)
    );
    try {
      const received = await collect(events(await fetch(upstream.url)));
      assert.deepEqual(received, [
        { type: "greeting", data: "hello", lastEventId: "1" },
        { type: "message", data: '{"n":2}', lastEventId: "1" },
      ]);
      await delay(50);
      assert.equal(upstream.seen.length, 1);
    } finally {
      await upstream.close();
    }
  });

  test("rejects what is not an event stream, at once, with the reason", async () => {
    assert.throws(() => events(new Response("x", { status: 500, statusText: "Oops" })), {
      name: "EventStreamError",
      message: /got HTTP 500 Oops/,
    });
    assert.throws(() => events(new Response("x", { headers: { "content-type": "text/plain" } })), {
      name: "EventStreamError",
      message: /expected content-type text\/event-stream, got "text\/plain"/,
    });
    assert.throws(() => events(new Response(null)), {
      name: "EventStreamError",
      message: /expected content-type text\/event-stream, got none/,
    });
    const headers = { "content-type": "Text/Event-Stream; charset=utf-8" };
    assert.equal((await collect(events(new Response("data: ok\n\n", { headers })))).length, 1);
    assert.deepEqual(await collect(events(new Response(null, { status: 204 }))), []);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => events("data: x" as any), TypeError);
  });

  test("aborting the signal ends the iteration quietly and cancels the body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("data: one\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const response = new Response(body, { headers: { "content-type": "text/event-stream" } });
    const controller = new AbortController();
    const received: string[] = [];
    for await (const event of events(response, { signal: controller.signal })) {
      received.push(event.data);
      setTimeout(() => controller.abort(), 5);
    }
    assert.deepEqual(received, ["one"]);
    assert.equal(cancelled, true);
  });
});

describe("connect: hooks and the reconnect policy", () => {
  /** An OpenAI-style stream: two chunks and [DONE], then a normal end. */
  const completion = (request: Request, bun: unknown) =>
    stream(request, bun, async (s) => {
      await s.send({ data: { delta: "Hel" } });
      await s.send({ data: { delta: "lo" } });
      await s.send({ data: "[DONE]" });
    }, 10);

  test("reconnect: false sends an LLM POST once, even after the stream ends normally", async () => {
    const upstream = await server((_, request, bun) => completion(request, bun));
    try {
      const init = { method: "POST", body: '{"q":"hi"}', reconnect: false, retry: 10 };
      const received = await collect(connect(upstream.url, init));
      assert.deepEqual(received.map((e) => e.data), [
        '{"delta":"Hel"}',
        '{"delta":"lo"}',
        "[DONE]",
      ]);
      await delay(200);
      assert.equal(upstream.seen.length, 1, "the request was not sent again");
      assert.equal(upstream.seen[0].body, '{"q":"hi"}');
    } finally {
      await upstream.close();
    }
  });

  test("a reconnect predicate stops after the last event it names, and sees why", async () => {
    const upstream = await server((n, request, bun) =>
      n === 0
        ? stream(request, bun, async (s) => {
          await s.send({ id: 1, data: "partial" });
        }, 10)
        : completion(request, bun)
    );
    try {
      const asked: { attempt: number; error: unknown; last: string | undefined }[] = [];
      const received = await collect(connect(upstream.url, {
        retry: 10,
        reconnect: ({ attempt, error, lastEvent }) => {
          asked.push({ attempt, error, last: lastEvent?.data });
          return lastEvent?.data !== "[DONE]";
        },
      }));
      assert.deepEqual(received.map((e) => e.data), [
        "partial",
        '{"delta":"Hel"}',
        '{"delta":"lo"}',
        "[DONE]",
      ]);
      assert.deepEqual(asked, [
        { attempt: 1, error: undefined, last: "partial" },
        { attempt: 1, error: undefined, last: "[DONE]" },
      ]);
      await delay(100);
      assert.equal(upstream.seen.length, 2);
    } finally {
      await upstream.close();
    }
  });

  test("reconnect: false throws a failure at once, without retrying", async () => {
    const upstream = await server(() => new Response("down", { status: 503 }));
    try {
      await assert.rejects(collect(connect(upstream.url, { retry: 10, reconnect: false })), {
        name: "EventStreamError",
        message: /got HTTP 503/,
      });
      assert.equal(upstream.seen.length, 1);
    } finally {
      await upstream.close();
    }
  });

  test("onRetry sees each reconnection: attempt, delay and the error that caused it", async () => {
    const upstream = await server((n, request, bun) =>
      n === 1 || n === 2
        ? new Response("busy", { status: 503, headers: { "retry-after": "0" } })
        : stream(request, bun, (s) => s.send({ id: n, data: `stream ${n}` }), 20)
    );
    try {
      const retries: { attempt: number; delay: number; status?: number; error: unknown }[] = [];
      const received = await collect(
        connect(upstream.url, {
          maxRetryDelay: 60,
          onRetry: ({ attempt, delay, error }) =>
            retries.push({
              attempt,
              delay,
              error: error === undefined ? undefined : "error",
              status: error instanceof EventStreamError ? error.status : undefined,
            }),
        }),
        2,
      );
      assert.deepEqual(received.map((e) => e.data), ["stream 0", "stream 3"]);
      assert.deepEqual(retries, [
        { attempt: 1, delay: 20, error: undefined, status: undefined }, // the stream ended
        { attempt: 2, delay: 20, error: "error", status: 503 }, // first failure: the delay
        { attempt: 3, delay: 40, error: "error", status: 503 }, // doubled
      ]);
    } finally {
      await upstream.close();
    }
  });

  test("onOpen gets each event-stream response; what it throws stops connect()", async () => {
    const upstream = await server((_, request, bun) =>
      stream(request, bun, (s) => s.send("hello"), 10)
    );
    try {
      const opened: number[] = [];
      const received = await collect(
        connect(upstream.url, { onOpen: (response) => void opened.push(response.status) }),
        1,
      );
      assert.deepEqual(received.map((e) => e.data), ["hello"]);
      assert.deepEqual(opened, [200]);
      const refused = new Error("wrong API version");
      await assert.rejects(
        collect(connect(upstream.url, {
          onOpen: async () => {
            await delay(1);
            throw refused;
          },
        })),
        (error) => error === refused,
      );
    } finally {
      await upstream.close();
    }
  });
});

describe("error responses stay readable", () => {
  const apiError = {
    error: { message: "Incorrect API key provided", type: "invalid_request_error" },
  };

  test("connect(): an LLM API's 401 body is read from the EventStreamError", async () => {
    const upstream = await server(() => Response.json(apiError, { status: 401 }));
    try {
      const error = await collect(connect(upstream.url, { method: "POST", body: "{}" })).then(
        () => assert.fail("a 401 is an error"),
        (error) => error,
      );
      assert.ok(error instanceof EventStreamError);
      assert.equal(error.status, 401);
      assert.deepEqual(await error.response.json(), apiError);
    } finally {
      await upstream.close();
    }
  });

  test("connect(): the last 5xx body is readable once it gives up", async () => {
    const upstream = await server(() => new Response("overloaded", { status: 529 }));
    try {
      const error = await collect(connect(upstream.url, { retry: 5, maxRetries: 1 })).then(
        () => assert.fail("gives up"),
        (error) => error,
      );
      assert.ok(error instanceof EventStreamError);
      assert.match(error.message, /gave up after 2 attempts/);
      assert.equal(await error.response.text(), "overloaded");
    } finally {
      await upstream.close();
    }
  });

  test("events(): the body of a response that is not an event stream is readable", async () => {
    const upstream = await server(() => Response.json(apiError, { status: 400 }));
    try {
      const response = await fetch(upstream.url);
      const error = (() => {
        try {
          events(response);
        } catch (error) {
          return error;
        }
      })();
      assert.ok(error instanceof EventStreamError);
      assert.deepEqual(await error.response.json(), apiError);
    } finally {
      await upstream.close();
    }
  });

  test("events(fetch(...)) without await says a Promise was passed", async () => {
    const pending = Promise.resolve(new Response(null, { status: 204 }));
    // deno-lint-ignore no-explicit-any
    assert.throws(() => events(pending as any), {
      name: "TypeError",
      message: /`response` is a Promise; await it/,
    });
    await pending;
  });
});

describe("events without data", () => {
  test("a final { event: 'bye' } with no data reaches connect(), with empty data", async () => {
    const upstream = await server((_, request, bun) =>
      sse(request, (s) => s.send("hello"), {
        // deno-lint-ignore no-explicit-any
        server: bun as any,
        close: { final: { event: "bye", retry: 50 } },
      })
    );
    try {
      const received = await collect(connect(upstream.url, { reconnect: false }));
      assert.deepEqual(received.map((e) => [e.type, e.data]), [["message", "hello"], ["bye", ""]]);
    } finally {
      await upstream.close();
    }
  });
});
