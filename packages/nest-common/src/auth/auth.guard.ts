import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { forbidden, unauthenticated } from '../errors/api-error';
import { IS_PUBLIC } from './auth-context';
import { TokensService } from './tokens.service';

/**
 * Every route needs `Authorization: Bearer pt-…` unless marked @Public(). `x-api-key` is
 * deliberately refused, as Qoder refuses it. Reads need the "read" scope, writes "write".
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    if (!header) {
      if (request.headers['x-api-key'] !== undefined) throw unauthenticated('x-api-key is not accepted; send Authorization: Bearer <token>.');
      throw unauthenticated('Missing Authorization header; send Authorization: Bearer <token>.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('Malformed Authorization header; send Authorization: Bearer <token>.');
    const auth = await this.tokens.verify(match[1]!);
    if (!auth) throw unauthenticated('Invalid or revoked token.');
    const needed = request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
    if (!auth.scopes.includes(needed)) throw forbidden(`This token lacks the "${needed}" scope.`);
    request.auth = auth;
    return true;
  }
}
