import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { stratusMetrics } from '@stratus/telemetry';
import { ApiError } from '../errors/api-error';
import { RedisFixedWindow, type WindowCount } from './redis-fixed-window';

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
  private readonly shared: RedisFixedWindow;
  private readonly local: RateLimiterMemory;
  private readonly logger = new Logger('rate-limit');
  private localSince: number | null = null;

  constructor(
    redis: Redis,
    private readonly options: SharedRateLimiterOptions,
  ) {
    this.shared = new RedisFixedWindow(redis, options.keyPrefix, options.durationSeconds);
    this.local = new RateLimiterMemory({ points: options.points, duration: options.durationSeconds });
  }

  /** True while the local fallback is in force. */
  get usingLocalLimit(): boolean {
    return this.localSince !== null;
  }

  /** Spends one point; throws a 429 ApiError with retry-after when the budget is gone. */
  async consume(key: string, message: (seconds: number) => string): Promise<void> {
    let window: WindowCount | undefined;
    try {
      window = await this.shared.count(key);
    } catch (error) {
      this.sharedFailed(error);
    }
    if (window) {
      this.sharedAnswered();
      if (window.count > this.options.points) throw tooManyRequests(window.msLeft, message);
      return;
    }
    stratusMetrics().authLimiterFallback.add(1);
    try {
      await this.local.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw tooManyRequests(rejection.msBeforeNext, message);
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

function tooManyRequests(msLeft: number, message: (seconds: number) => string): ApiError {
  const seconds = Math.max(1, Math.ceil(msLeft / 1000));
  return new ApiError(429, message(seconds), undefined, { 'retry-after': String(seconds) });
}
