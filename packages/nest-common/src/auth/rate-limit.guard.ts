import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ServerEnv } from '../config/env';
import { SERVER_ENV, REDIS } from '../infra/tokens';
import { SharedRateLimiter } from './shared-rate-limiter';

/**
 * A per-token request budget kept in Redis, so it holds across every API replica. Runs after
 * the AuthGuard (guards run in registration order); public routes are not limited.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: SharedRateLimiter | null;

  constructor(@Inject(SERVER_ENV) env: ServerEnv, @Inject(REDIS) redis: Redis) {
    this.limiter =
      env.RATE_LIMIT_REQUESTS > 0
        ? new SharedRateLimiter(redis, {
            keyPrefix: `${env.REDIS_KEY_PREFIX}ratelimit`,
            points: env.RATE_LIMIT_REQUESTS,
            durationSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
            label: 'per-token rate limit',
          })
        : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!this.limiter || !request.auth) return true;
    await this.limiter.consume(request.auth.tokenId, (seconds) => `Rate limit exceeded; retry after ${seconds} s.`);
    return true;
  }
}
