import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Opens the key's window (value 0, expiring after ARGV[1] seconds) unless one is open, counts one
 * request in it and answers the count and the milliseconds left. A key found without expiry (never
 * written by this script) is given one, so no counter lives forever.
 */
const COUNT_IN_WINDOW = `redis.call('set', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local count = redis.call('incr', KEYS[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[1])
  ttl = 1000 * ARGV[1]
end
return {count, ttl}`;

const COUNT_IN_WINDOW_SHA = createHash('sha1').update(COUNT_IN_WINDOW).digest('hex');

/** What a window holds after a request was counted in it. */
export interface WindowCount {
  count: number;
  msLeft: number;
}

/**
 * Fixed-window request counters in Redis, one key per caller, each counted by one EVALSHA. Written
 * for the hot path: a general-purpose limiter built a MULTI pipeline per request it never sent,
 * which cost more of the server's CPU than the read the request was for. The keys are
 * `<prefix>:<caller>` with the count as an integer string, as that limiter kept them, so replicas of
 * either version share a budget through a rolling deploy.
 */
export class RedisFixedWindow {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly windowSeconds: number,
  ) {}

  /**
   * Counts one request of `caller`. Rejects at once, without queueing the command, while the
   * connection is not ready: the caller falls back instead of waiting out ioredis's retries.
   */
  async count(caller: string): Promise<WindowCount> {
    if (this.redis.status !== 'ready') throw new Error(`Redis connection is ${this.redis.status}`);
    const key = `${this.keyPrefix}:${caller}`;
    let reply: unknown;
    try {
      reply = await this.redis.evalsha(COUNT_IN_WINDOW_SHA, 1, key, this.windowSeconds);
    } catch (error) {
      // Redis forgets scripts on restart or SCRIPT FLUSH; EVAL loads it again.
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      reply = await this.redis.eval(COUNT_IN_WINDOW, 1, key, this.windowSeconds);
    }
    const [count, msLeft] = reply as [number, number];
    return { count, msLeft };
  }
}
