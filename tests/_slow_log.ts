// A ChannelLog that answers late, like a remote store (Redis, a Durable
// Object), around a MemoryLog: appends, reads and the tail each take a
// little while, so a shared log's merge paths (a tail behind or ahead of a
// read) run without a server.
import {
  type ChannelLog,
  type LogEntry,
  type LogPosition,
  type LogRead,
  MemoryLog,
} from "../mod.ts";

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SlowLog implements ChannelLog {
  readonly memory: MemoryLog;
  /** How often the tail waits for a timer before handing over an entry (0 to 1). */
  tailLag: number;
  #tail: Promise<void> = Promise.resolve();
  #appends: Promise<unknown> = Promise.resolve();

  constructor(options: { size?: number; tailLag?: number } = {}) {
    this.memory = new MemoryLog({ size: options.size ?? 100_000 });
    this.tailLag = options.tailLag ?? 0.05;
  }

  open(onEntry: (entry: LogEntry) => void): Promise<void> {
    return this.memory.open((entry) => {
      // In order, some after a timer: the tail lags behind appends and reads.
      const lag = Math.random() < this.tailLag;
      this.#tail = this.#tail.then(() => lag ? pause(0) : undefined).then(() => onEntry(entry));
    });
  }

  /** Stored in call order (as one Redis connection does), some after a timer. */
  append(envelope: string): Promise<LogEntry> {
    const lag = Math.random() < 0.2;
    const appended = this.#appends.then(() => lag ? pause(0) : undefined)
      .then(() => this.memory.append(envelope));
    this.#appends = appended;
    return appended;
  }

  async read(position: LogPosition): Promise<LogRead> {
    await pause(5);
    return this.memory.read(position);
  }

  close(): Promise<void> {
    return this.memory.close();
  }
}
