/**
 * Internal: the one-time warning for push-style code that writes after its
 * handler returned (the stream ended then, with `close.onReturn`).
 *
 * @module
 */

let warned = false;

/**
 * Warns once per process that a write came after the stream ended because
 * its handler returned: `setInterval(() => stream.send(...))` in a handler
 * that returns at once ends the stream at once, and every later `send()`
 * resolves `false`.
 */
export function warnWriteAfterReturn(): void {
  if (warned) return;
  warned = true;
  console.warn(
    "edge-sse: send() or comment() was called after the stream ended because its handler " +
      "returned (close.onReturn is true by default), so nothing was sent. Push-style code " +
      "(setInterval, event listeners) must keep the stream open: pass " +
      "`close: { onReturn: false }` and clean up on `stream.signal`, or keep the handler " +
      "running (await a loop of send() and sleep()). This warning is shown once.",
  );
}

/** Test hook: shows the warning again. */
export function resetWriteAfterReturnWarning(): void {
  warned = false;
}
