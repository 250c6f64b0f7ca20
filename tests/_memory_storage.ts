// A stand-in for a Durable Object's key-value storage (ctx.storage), for unit
// tests of DurableObjectLog: keys listed in UTF-8 order with prefix, start,
// end, reverse and limit, as workerd does; values copied (structured clone);
// every write can be made to fail.
import type { DurableObjectLogStorage } from "../src/channel/durable_object_log.ts";

export class MemoryStorage implements DurableObjectLogStorage {
  readonly data: Map<string, unknown> = new Map();
  /** Set to an error to make the next writes (put, delete) reject with it. */
  failWrites: Error | null = null;
  /** How many calls of each method were made. */
  readonly calls: Record<"get" | "put" | "delete" | "list", number> = {
    get: 0,
    put: 0,
    delete: 0,
    list: 0,
  };

  get(key: string): Promise<unknown> {
    this.calls.get++;
    return Promise.resolve(structuredClone(this.data.get(key)));
  }

  put(key: string, value: unknown): Promise<void> {
    this.calls.put++;
    if (this.failWrites) return Promise.reject(this.failWrites);
    this.data.set(key, structuredClone(value));
    return Promise.resolve();
  }

  delete(keys: string[]): Promise<number> {
    this.calls.delete++;
    if (this.failWrites) return Promise.reject(this.failWrites);
    if (keys.length > 128) return Promise.reject(new RangeError("delete(): 128 keys at most"));
    return Promise.resolve(keys.filter((key) => this.data.delete(key)).length);
  }

  list(
    options: { prefix?: string; start?: string; end?: string; reverse?: boolean; limit?: number },
  ): Promise<Map<string, unknown>> {
    this.calls.list++;
    const { prefix = "", start, end, reverse = false, limit = Infinity } = options;
    let keys = [...this.data.keys()]
      .filter((key) =>
        key.startsWith(prefix) && (start === undefined || key >= start) &&
        (end === undefined || key < end)
      )
      .sort();
    if (reverse) keys.reverse();
    keys = keys.slice(0, limit);
    return Promise.resolve(new Map(keys.map((key) => [key, structuredClone(this.data.get(key))])));
  }
}
