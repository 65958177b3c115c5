import { startOwnRedis, type OwnRedis } from '@stratus/testing';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisFixedWindow } from '../src/auth/redis-fixed-window';
import { SharedRateLimiter } from '../src/auth/shared-rate-limiter';
import { ApiError } from '../src/errors/api-error';

// A redis-server of this file's own: one test flushes its scripts, which must not touch anyone else's.
let own: OwnRedis;
let redis: Redis;

beforeAll(async () => {
  own = await startOwnRedis();
  redis = new Redis(own.url, { maxRetriesPerRequest: 1 });
  // Until then the limiter would fall back to its per-process budget, and these tests would test that.
  await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(async () => {
  redis.disconnect();
  await own.kill();
});

const message = (seconds: number) => `retry after ${seconds} s`;

async function spend(limiter: SharedRateLimiter, key: string): Promise<number | ApiError> {
  try {
    await limiter.consume(key, message);
    return 200;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

describe('the shared rate limit', () => {
  it('answers 429 with retry-after past its budget, per caller, within one window', async () => {
    const limiter = new SharedRateLimiter(redis, { keyPrefix: 'rl-budget', points: 3, durationSeconds: 60, label: 'test limit' });
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await spend(limiter, 'tok_a'));
    expect(outcomes.slice(0, 3)).toEqual([200, 200, 200]);
    const refused = outcomes[3] as ApiError;
    expect(refused.status).toBe(429);
    expect(Number(refused.headers?.['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(refused.headers?.['retry-after'])).toBeLessThanOrEqual(60);
    expect(await spend(limiter, 'tok_b')).toBe(200);
    expect(await redis.get('rl-budget:tok_a')).toBe('5');
    expect(await redis.ttl('rl-budget:tok_a')).toBeGreaterThan(55);
  });

  it('shares the budget with replicas still on the general-purpose limiter (same keys and counts)', async () => {
    const earlier = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rl-mixed', points: 3, duration: 60 });
    await earlier.consume('tok_a');
    await earlier.consume('tok_a');
    const limiter = new SharedRateLimiter(redis, { keyPrefix: 'rl-mixed', points: 3, durationSeconds: 60, label: 'test limit' });
    expect(await spend(limiter, 'tok_a')).toBe(200);
    expect((await spend(limiter, 'tok_a')) as ApiError).toMatchObject({ status: 429 });
    await expect(earlier.consume('tok_a')).rejects.toMatchObject({ consumedPoints: 5 });
  });
});

describe('the fixed window in Redis', () => {
  it('opens a window per caller that expires, and gives a key found without expiry one', async () => {
    const window = new RedisFixedWindow(redis, 'rl-window', 2);
    expect(await window.count('a')).toEqual({ count: 1, msLeft: expect.any(Number) });
    expect((await window.count('a')).count).toBe(2);
    await redis.set('rl-window:b', '7');
    expect(await window.count('b')).toEqual({ count: 8, msLeft: 2000 });
    expect(await redis.pttl('rl-window:b')).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await window.count('a')).count).toBe(1);
  });

  it('loads its script again when Redis has forgotten it', async () => {
    const window = new RedisFixedWindow(redis, 'rl-flush', 60);
    await window.count('a');
    await redis.script('FLUSH');
    expect((await window.count('a')).count).toBe(2);
  });

  it('refuses at once while the connection is not ready, so the caller can fall back', async () => {
    const closed = new Redis(own.url, { lazyConnect: true });
    await expect(new RedisFixedWindow(closed, 'rl-closed', 60).count('a')).rejects.toThrow('Redis connection is wait');
  });
});
