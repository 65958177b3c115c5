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
    this.failures = authFailureLimiter(env, redis);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    let auth: AuthContext;
    try {
      auth = await this.authenticate(request);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) await countFailedAuthentication(this.failures, request);
      throw error;
    }
    const needed = request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
    if (!auth.scopes.includes(needed)) throw forbidden(`This token lacks the "${needed}" scope.`);
    request.auth = auth;
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<AuthContext> {
    const secret = bearerSecret(request);
    if (secret === undefined) {
      if (request.headers['x-api-key'] !== undefined) throw unauthenticated('x-api-key is not accepted; send Authorization: Bearer <token>.');
      throw unauthenticated('Missing Authorization header; send Authorization: Bearer <token>.');
    }
    const auth = await this.tokens.verify(secret);
    if (!auth) throw unauthenticated('Invalid or revoked token.');
    return auth;
  }
}

/**
 * The secret of `Authorization: Bearer <secret>`, undefined when the header is absent; a 401 when
 * it is there but malformed.
 */
export function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('Malformed Authorization header; send Authorization: Bearer <token>.');
  return match[1]!;
}

/**
 * The per-address budget of failed authentications (AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_SECONDS),
 * shared by every route that authenticates a token; null when disabled.
 */
export function authFailureLimiter(env: ServerEnv, redis: Redis): SharedRateLimiter | null {
  return env.AUTH_FAILURE_LIMIT > 0
    ? new SharedRateLimiter(redis, {
        keyPrefix: `${env.REDIS_KEY_PREFIX}authfail`,
        points: env.AUTH_FAILURE_LIMIT,
        durationSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
        label: 'failed-authentication limit',
      })
    : null;
}

/** Spends one failed authentication of the client's address; throws the 429 once the budget is gone. */
export async function countFailedAuthentication(limiter: SharedRateLimiter | null, request: FastifyRequest): Promise<void> {
  await limiter?.consume(request.ip, (seconds) => `Too many failed authentications from this address; retry after ${seconds} s.`);
}
