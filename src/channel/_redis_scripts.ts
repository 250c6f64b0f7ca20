/**
 * The stream log's Lua scripts: each runs atomically in Redis, so the epoch,
 * the offset counter and the stream never disagree. Keys: KEYS[1] the
 * stream, KEYS[2] the meta hash (`e` epoch, `s` last offset).
 *
 * @module
 */

import type { RedisConnection } from "./_redis_client.ts";

/**
 * Creates the epoch when the meta hash is missing (a new log, or Redis lost
 * its data): a new history, so the stream left from before (if any) goes.
 */
const EPOCH = `
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch, 's', 0)
  if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
`;

/**
 * APPEND: ARGV = new epoch, ttl ms ('0': none), envelope, maxLength ('0':
 * none). The entry's stream id is its offset; it carries its epoch (`e`) so
 * a tail sees a new epoch in the entries themselves. Returns {epoch, offset}.
 */
export const APPEND = EPOCH + `
local offset = redis.call('HINCRBY', KEYS[2], 's', 1)
if ARGV[4] ~= '0' then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], offset, 'e', epoch, 'd', ARGV[3])
else
  redis.call('XADD', KEYS[1], offset, 'e', epoch, 'd', ARGV[3])
end
if ARGV[2] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {epoch, offset}
`;

/**
 * READ: ARGV = new epoch, ttl ms, mode, then for mode 'after': the epoch
 * and offset of the client's last entry; for 'last': how many; for 'top':
 * nothing. Returns {epoch, top offset, 'entries' | 'reset', entries}. All
 * or nothing: 'reset' unless every entry after the position is retained.
 */
export const READ = EPOCH + `
local top = tonumber(redis.call('HGET', KEYS[2], 's') or '0')
local mode = ARGV[3]
if mode == 'top' then return {epoch, top, 'entries', {}} end
if mode == 'last' then
  local entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[4])
  return {epoch, top, 'entries', entries}
end
local after = tonumber(ARGV[5])
if ARGV[4] ~= epoch or after > top then return {epoch, top, 'reset', {}} end
if after == top then return {epoch, top, 'entries', {}} end
local entries = redis.call('XRANGE', KEYS[1], after + 1, '+')
if #entries == 0 or tonumber(string.match(entries[1][1], '^%d+')) ~= after + 1 then
  return {epoch, top, 'reset', {}}
end
return {epoch, top, 'entries', entries}
`;

/** Runs a script by its SHA-1 (EVALSHA), loading it (EVAL) when Redis does not have it. */
export class Script {
  readonly source: string;
  #sha: Promise<string>;

  constructor(source: string) {
    this.source = source;
    this.#sha = sha1(source);
  }

  async run(
    connection: RedisConnection,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await connection.send(["EVALSHA", await this.#sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message ?? error).includes("NOSCRIPT")) throw error;
      return await connection.send(["EVAL", this.source, ...tail]);
    }
  }
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
