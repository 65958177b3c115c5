import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { stratusMetrics } from '@stratus/telemetry';
import { ApiError } from '../errors/api-error';

export interface SharedRateLimiterOptions {
  /** Full Redis key prefix, deployment prefix included. */
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  /** What the limit is for, in the outage warning. */
  label: string;
}

/**
 * A budget kept in Redis, so it holds across every replica. While Redis is unreachable it
 * falls back to a budget of this process alone rather than refusing every request: the limit
 * gets looser by the number of replicas for the outage, and the service stays up. The switch
 * is logged once per outage, and once again when Redis answers.
 */
export class SharedRateLimiter {
  private readonly shared: RateLimiterRedis;
  private readonly local: RateLimiterMemory;
  private readonly logger = new Logger('rate-limit');
  private localSince: number | null = null;

  constructor(
    redis: Redis,
    private readonly options: SharedRateLimiterOptions,
  ) {
    // Fail at once (not after ioredis's retries) while the connection is not ready.
    this.shared = new RateLimiterRedis({ storeClient: redis, keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds, rejectIfRedisNotReady: true });
    this.local = new RateLimiterMemory({ points: options.points, duration: options.durationSeconds });
  }

  /** True while the local fallback is in force. */
  get usingLocalLimit(): boolean {
    return this.localSince !== null;
  }

  /** Spends one point; throws a 429 ApiError with retry-after when the budget is gone. */
  async consume(key: string, message: (seconds: number) => string): Promise<void> {
    try {
      await this.shared.consume(key);
      this.sharedAnswered();
      return;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        this.sharedAnswered();
        throw tooManyRequests(rejection, message);
      }
      this.sharedFailed(rejection);
    }
    stratusMetrics().authLimiterFallback.add(1);
    try {
      await this.local.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw tooManyRequests(rejection, message);
      throw rejection;
    }
  }

  private sharedFailed(error: unknown): void {
    if (this.localSince !== null) return;
    this.localSince = Date.now();
    this.logger.warn(`Redis is unreachable (${error instanceof Error ? error.message : String(error)}): the ${this.options.label} is now kept per process until it answers`);
  }

  private sharedAnswered(): void {
    if (this.localSince === null) return;
    this.logger.log(`Redis answers again: the ${this.options.label} is shared again after ${Math.round((Date.now() - this.localSince) / 1000)} s per process`);
    this.localSince = null;
  }
}

function tooManyRequests(rejection: RateLimiterRes, message: (seconds: number) => string): ApiError {
  const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
  return new ApiError(429, message(seconds), undefined, { 'retry-after': String(seconds) });
}
