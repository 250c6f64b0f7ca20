import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzzSerializer } from "../../soak/fuzz.ts";

// soak/fuzz.ts: fast-check events with CR, lone CR, NUL, lone surrogates,
// huge lines, invalid retry values and data JSON cannot serialise, read back
// by eventsource-parser (an independent spec parser). `npm run soak` runs
// thousands more on each runtime.
test("whatever formatEvent accepts, a spec parser reads back as sent; whatever it refuses throws a TypeError or RangeError", () => {
  const result = fuzzSerializer(200);
  assert.deepEqual(result.failures, []);
  assert.ok(result.accepted > 100, `only ${result.accepted} events accepted`);
  assert.ok(result.refused > 20, `only ${result.refused} events refused`);
});
