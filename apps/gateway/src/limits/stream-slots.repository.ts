import { Inject, Injectable } from '@nestjs/common';
import { REDIS, SERVER_ENV, type ServerEnv } from '@stratus/nest-common';
import type { Redis } from 'ioredis';

/**
 * Takes a slot when the token holds fewer than the cap: drops expired members (slots of a gateway
 * that died and stopped renewing them), counts the rest, adds the new one. Redis's clock scores
 * every member, so gateways with skewed clocks agree on what has expired.
 * KEYS[1] the token's set; ARGV: slot id, cap, lease ms. Returns 1 when taken, 0 at the cap.
 */
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * Pushes the expiry of this gateway's slots of one token forward. ZADD (not XX) also puts back
 * slots Redis lost (a restart), so open streams count again; it never checks the cap, because an
 * open stream is never dropped for it. KEYS[1] the token's set; ARGV: lease ms, slot ids.
 */
const RENEW = `
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expiry, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0`;

/**
 * The streams each token holds across every gateway, in Redis: one sorted set per token whose
 * members are slots scored by their expiry. A live gateway renews its slots; a dead one's expire.
 */
@Injectable()
export class StreamSlotsRepository {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVER_ENV) private readonly env: ServerEnv,
  ) {}

  /** Takes a slot for the token unless it holds `cap` live ones already; false at the cap. */
  async claim(tokenId: string, slotId: string, cap: number, leaseMs: number): Promise<boolean> {
    return (await this.redis.eval(CLAIM, 1, this.key(tokenId), slotId, cap, leaseMs)) === 1;
  }

  /** Frees a slot (its stream ended). */
  async release(tokenId: string, slotId: string): Promise<void> {
    await this.redis.zrem(this.key(tokenId), slotId);
  }

  /** Renews the slots this gateway holds, per token, in one round trip. */
  async renew(slots: ReadonlyMap<string, ReadonlySet<string>>, leaseMs: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [tokenId, ids] of slots) if (ids.size > 0) pipeline.eval(RENEW, 1, this.key(tokenId), leaseMs, ...ids);
    const results = await pipeline.exec();
    const error = results?.find(([failure]) => failure)?.[0];
    if (error) throw error;
  }

  private key(tokenId: string): string {
    return `${this.env.REDIS_KEY_PREFIX}gateway:streams:${tokenId}`;
  }
}
