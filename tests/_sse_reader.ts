// A small text/event-stream reader for the channel tests: complete events
// only (an event cut by a disconnect is not dispatched, as in EventSource),
// blocks without data skipped.

import { within } from "./_server.ts";

export interface ReadEvent {
  id?: string;
  event?: string;
  data: string;
  /** performance.now() when the event's last byte arrived. */
  at: number;
}

export class EventReader {
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #events: ReadEvent[] = [];
  #done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** Whether the body ended. */
  get done(): boolean {
    return this.#done;
  }

  /** Reads until `count` events arrived (or the body ended); returns them. */
  async take(count: number, ms = 5000): Promise<ReadEvent[]> {
    await within(this.#fill(() => this.#events.length >= count), ms, `reading ${count} events`);
    return this.#events.splice(0, count);
  }

  /** Reads until `until(events so far)` holds or the body ends; returns every event read. */
  async until(until: (events: ReadEvent[]) => boolean, ms = 5000): Promise<ReadEvent[]> {
    await within(this.#fill(() => until(this.#events)), ms, "reading events");
    return this.#events.splice(0);
  }

  /** Reads to the end of the body. */
  async rest(ms = 5000): Promise<ReadEvent[]> {
    return await this.until(() => false, ms);
  }

  cancel(): Promise<void> {
    return this.reader.cancel().catch(() => {});
  }

  async #fill(enough: () => boolean): Promise<void> {
    while (!enough() && !this.#done) {
      const { value, done } = await this.reader.read();
      if (done) {
        this.#done = true;
        break;
      }
      this.#buffer += this.#decoder.decode(value, { stream: true });
      this.#parse();
    }
  }

  #parse(): void {
    let end: number;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const event: ReadEvent = { data: "", at: performance.now() };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + (line[colon + 1] === " " ? 2 : 1));
        if (name === "data") data.push(value);
        else if (name === "id") event.id = value;
        else if (name === "event") event.event = value;
      }
      // As in EventSource: a block without data (retry only, id only) dispatches nothing.
      if (data.length === 0) continue;
      event.data = data.join("\n");
      this.#events.push(event);
    }
  }
}
