import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ServerEnv } from '../config/env';
import { ApiError, forbidden, unauthenticated } from '../errors/api-error';
import { REDIS, SERVER_ENV } from '../infra/tokens';
import { type AuthContext, IS_PUBLIC } from './auth-context';
import { SharedRateLimiter } from './shared-rate-limiter';
import { TokensService } from './tokens.service';

/**
 * Every route needs `Authorization: Bearer pt-…` unless marked @Public(). `x-api-key` is
 * deliberately refused, as Qoder refuses it. Reads need the "read" scope, writes "write".
 * Failed authentications are counted per client address: past the budget the address is
 * answered 429 until the window passes, while valid tokens from it keep working.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly failures: SharedRateLimiter | null;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    @Inject(SERVER_ENV) env: ServerEnv,
    @Inject(REDIS) redis: Redis,
  ) {
    this.failures =
      env.AUTH_FAILURE_LIMIT > 0
        ? new SharedRateLimiter(redis, {
            keyPrefix: `${env.REDIS_KEY_PREFIX}authfail`,
            points: env.AUTH_FAILURE_LIMIT,
            durationSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
            label: 'failed-authentication limit',
          })
        : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    let auth: AuthContext;
    try {
      auth = await this.authenticate(request);
    } catch (error) {
      if (this.failures && error instanceof ApiError && error.status === 401) {
        await this.failures.consume(request.ip, (seconds) => `Too many failed authentications from this address; retry after ${seconds} s.`);
      }
      throw error;
    }
    const needed = request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
    if (!auth.scopes.includes(needed)) throw forbidden(`This token lacks the "${needed}" scope.`);
    request.auth = auth;
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<AuthContext> {
    const header = request.headers.authorization;
    if (!header) {
      if (request.headers['x-api-key'] !== undefined) throw unauthenticated('x-api-key is not accepted; send Authorization: Bearer <token>.');
      throw unauthenticated('Missing Authorization header; send Authorization: Bearer <token>.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('Malformed Authorization header; send Authorization: Bearer <token>.');
    const auth = await this.tokens.verify(match[1]!);
    if (!auth) throw unauthenticated('Invalid or revoked token.');
    return auth;
  }
}
