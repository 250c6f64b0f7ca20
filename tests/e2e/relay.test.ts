import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, events, type ServerSentEvent } from "../../client.ts";
import { sse, type SSEStream, type StreamClosed } from "../../mod.ts";
import { createRelay } from "../../examples/relay.ts";
import { delay, runtime, serve, within } from "../_server.ts";
import { readUntil } from "../_read.ts";

/** When and why an upstream stream ended. */
interface Ended {
  at: number;
  reason: string;
}

/** Records when `stream` ends, and why. */
function watch(stream: SSEStream, ended: Ended[]): void {
  stream.signal.addEventListener("abort", () => {
    ended.push({ at: performance.now(), reason: (stream.signal.reason as StreamClosed).reason });
  });
}

/** Waits until `ended` has an entry, for at most `ms`. */
async function firstEnd(ended: Ended[], ms: number, what: string): Promise<Ended> {
  await within(
    (async () => {
      while (ended.length === 0) await delay(1);
    })(),
    ms,
    what,
  );
  return ended[0];
}

/**
 * Connects to `url`, reads until `ready(text)`, leaves (aborts the fetch) and
 * measures how long the upstream takes to see its stream end, in `ended`.
 * Once untimed to warm the path up (the first run compiles it), then
 * `rounds` times. Returns the timed milliseconds.
 */
async function disconnects(
  url: string,
  ready: (text: string) => boolean,
  ended: Ended[],
  rounds = 3,
): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const before = ended.length;
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    await readUntil(response.body!, ready);
    assert.equal(ended.length, before, "the upstream stream ended before the client left");
    const leftAt = performance.now();
    controller.abort();
    await within(
      (async () => {
        while (ended.length === before) await delay(1);
      })(),
      2000,
      "the upstream stream to end after the client left",
    );
    assert.equal(ended[before].reason, "client");
    if (round > 0) times.push(ended[before].at - leftAt);
  }
  return times;
}

/** Asserts that the upstream typically saw the client leave within 50 ms, and always soon. */
function assertPrompt(times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const shown = times.map((ms) => ms.toFixed(1)).join(", ");
  assert.ok(median < 50, `the upstream saw the client leave after ${shown} ms`);
  assert.ok(sorted[sorted.length - 1] < 150, `the upstream saw the client leave after ${shown} ms`);
}

/** One chunk of an OpenAI-style chat completion stream. */
const chunk = (content: string) =>
  JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content } }] });

/** A fake OpenAI-style endpoint: streams `tokens`, then `[DONE]` (or, without `done`, ticks forever). */
async function fakeModel(tokens: string[], done: boolean) {
  const ended: Ended[] = [];
  const requests: { authorization: string | null; body: unknown }[] = [];
  const server = await serve(async (request, bun) => {
    requests.push({
      authorization: request.headers.get("authorization"),
      body: await request.json(),
    });
    return sse(request, async (stream) => {
      watch(stream, ended);
      for (const token of tokens) await stream.send(chunk(token));
      if (done) await stream.send("[DONE]");
      // A real upstream closes after [DONE]; this one stays open, so the relay
      // must end on [DONE] itself. Without [DONE], it keeps streaming.
      for (let n = 0; stream.signal.aborted === false; n++) {
        if (!done) await stream.send(chunk(` ${n}`));
        await stream.sleep(20);
      }
    }, { heartbeat: false, server: bun });
  });
  return Object.assign(server, { ended, requests });
}

describe(`relay (${runtime})`, () => {
  test("a client leaving a relay built on connect() aborts the upstream stream within 50 ms", async () => {
    const upstreamEnded: Ended[] = [];
    const relayEnded: Ended[] = [];
    const upstream = await serve((request, bun) =>
      sse(request, async (stream) => {
        watch(stream, upstreamEnded);
        for (let n = 1; await stream.send({ id: n, data: `tick ${n}` }); n++) {
          await stream.sleep(20);
        }
      }, { server: bun })
    );
    const relay = await serve((request, bun) =>
      sse(request, async (stream) => {
        watch(stream, relayEnded);
        // maxRetries: a relay that failed to stop gives up once the upstream server is closed.
        const init = { signal: stream.signal, maxRetries: 3 };
        for await (const event of connect(upstream.url, init)) {
          await stream.send({
            event: "relayed",
            id: event.lastEventId,
            data: event.data.toUpperCase(),
          });
        }
      }, { server: bun })
    );
    try {
      const response = await fetch(relay.url);
      const { text, reader } = await readUntil(response.body!, (text) => text.includes("TICK 3"));
      await reader.cancel();
      assert.ok(text.includes("event: relayed\nid: 1\ndata: TICK 1\n\n"), text);
      await firstEnd(upstreamEnded, 2000, "the upstream stream to end");
      const times = await disconnects(relay.url, (text) => text.includes("TICK 3"), upstreamEnded);
      assert.deepEqual(relayEnded.map((ended) => ended.reason), Array(5).fill("client"));
      assertPrompt(times);
    } finally {
      await relay.close();
      await upstream.close();
    }
  });

  test("the OpenAI-style relay example streams tokens and ends cleanly on [DONE]", async () => {
    const model = await fakeModel(["Hel", "lo", ", ", "world"], true);
    const relay = await serve(
      createRelay({ upstream: `${model.url}/v1/chat/completions`, apiKey: "sk-test", model: "m" }),
    );
    try {
      const response = await fetch(`${relay.url}/?q=Say+hello`);
      const received: ServerSentEvent[] = [];
      await within(
        (async () => {
          for await (const event of events(response)) received.push(event);
        })(),
        3000,
        "the relay to end after [DONE]",
      );
      assert.deepEqual(
        received.map(({ type, data }) => ({ type, data })),
        [
          ...["Hel", "lo", ", ", "world"].map((text) => ({
            type: "token",
            data: JSON.stringify({ text }),
          })),
          { type: "done", data: "" },
        ],
      );
      assert.deepEqual(model.requests, [{
        authorization: "Bearer sk-test",
        body: { model: "m", stream: true, messages: [{ role: "user", content: "Say hello" }] },
      }]);
      const ended = await firstEnd(model.ended, 1000, "the upstream to be closed after [DONE]");
      assert.equal(ended.reason, "client");
    } finally {
      await relay.close();
      await model.close();
    }
  });

  test("a client leaving the OpenAI-style relay aborts the upstream within 50 ms", async () => {
    const model = await fakeModel(["Once", " upon", " a", " time"], false);
    const relay = await serve(createRelay({ upstream: model.url }));
    try {
      const times = await disconnects(
        `${relay.url}/?q=story`,
        (text) => text.includes('"text":" 2"'),
        model.ended,
      );
      assertPrompt(times);
    } finally {
      await relay.close();
      await model.close();
    }
  });
});
