// Reading helpers for in-process responses (no network).

import { within } from "./_server.ts";

const decoder = new TextDecoder();

/** Reads a body chunk by chunk, as text. */
export class BodyReader {
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  text = "";
  chunks: string[] = [];
  done = false;

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** Reads one chunk (or the end). */
  async next(ms = 2000): Promise<string | null> {
    const { value, done } = await within(this.reader.read(), ms, "reading a chunk");
    if (done) {
      this.done = true;
      return null;
    }
    const chunk = decoder.decode(value);
    this.chunks.push(chunk);
    this.text += chunk;
    return chunk;
  }

  /** Reads until the text so far contains `needle`. */
  async until(needle: string, ms = 2000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.text.includes(needle)) {
      const chunk = await this.next(Math.max(1, deadline - Date.now()));
      if (chunk === null) {
        throw new Error(
          `stream ended before ${JSON.stringify(needle)}; got ${JSON.stringify(this.text)}`,
        );
      }
    }
    return this.text;
  }

  /** Reads to the end. */
  async rest(ms = 2000): Promise<string> {
    while (!this.done) await this.next(ms);
    return this.text;
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason);
  }
}

/** Collects `reason`s of rejections nobody handled while `body` runs. */
export async function trapUnhandledRejections(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const onEvent = (event: PromiseRejectionEvent) => {
    event.preventDefault?.();
    seen.push(event.reason);
  };
  const onProcess = (reason: unknown) => seen.push(reason);
  if (typeof g.addEventListener === "function") g.addEventListener("unhandledrejection", onEvent);
  g.process?.on?.("unhandledRejection", onProcess);
  try {
    await body();
    // Unhandled rejections are reported after a macrotask or two.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    if (typeof g.removeEventListener === "function") {
      g.removeEventListener("unhandledrejection", onEvent);
    }
    g.process?.off?.("unhandledRejection", onProcess);
  }
  return seen;
}
