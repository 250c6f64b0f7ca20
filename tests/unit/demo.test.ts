// The demo's clock (examples/demo/streams.ts) in-process, with a fake stream.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { clock, nextTick } from "../../examples/demo/streams.ts";
import type { SSEEvent, SSEStream } from "../../mod.ts";
import { within } from "../_server.ts";

describe("the demo's clock", () => {
  test("nextTick is the start of the following tick", () => {
    assert.equal(nextTick(1_999, 1_000), 2_000);
    assert.equal(nextTick(2_000, 1_000), 3_000);
  });

  test("sends one event per tick even when timers fire early", async () => {
    // A stream whose sleep() wakes 3 ms before the wall clock gets there, as
    // a timer on a monotonic clock may: the clock must sleep the rest.
    const controller = new AbortController();
    const sent: number[] = [];
    const stream = {
      signal: controller.signal,
      send(event: SSEEvent): Promise<boolean> {
        sent.push(Date.parse((event.data as { iso: string }).iso));
        if (sent.length === 6) controller.abort();
        return Promise.resolve(!controller.signal.aborted);
      },
      sleep: (ms: number) =>
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), Math.max(0, ms - 3))),
    } as unknown as SSEStream;
    await within(clock(stream, 50), 2000, "six clock events");
    const slots = sent.map((time) => Math.floor(time / 50));
    assert.equal(slots.length, 6);
    for (let n = 1; n < slots.length; n++) {
      assert.ok(slots[n] > slots[n - 1], `event ${n} in a tick of its own: ${slots.join(" ")}`);
    }
  });
});
