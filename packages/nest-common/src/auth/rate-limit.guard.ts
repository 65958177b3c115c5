import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError, overloaded } from '../errors/api-error';
import type { ServerEnv } from '../config/env';
import { SERVER_ENV, REDIS } from '../infra/tokens';

/**
 * A per-token request budget kept in Redis, so it holds across every API replica. Runs after
 * the AuthGuard (guards run in registration order); public routes are not limited.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiterRedis | null;

  constructor(@Inject(SERVER_ENV) env: ServerEnv, @Inject(REDIS) redis: Redis) {
    this.limiter =
      env.RATE_LIMIT_REQUESTS > 0
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${env.REDIS_KEY_PREFIX}ratelimit`,
            points: env.RATE_LIMIT_REQUESTS,
            duration: env.RATE_LIMIT_WINDOW_SECONDS,
          })
        : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!this.limiter || !request.auth) return true;
    try {
      await this.limiter.consume(request.auth.tokenId);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new ApiError(429, `Rate limit exceeded; retry after ${seconds} s.`, undefined, { 'retry-after': String(seconds) });
      }
      throw overloaded('The rate limiter is unavailable (Redis); retry shortly.');
    }
  }
}
