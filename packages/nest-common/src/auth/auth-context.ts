import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * What a token may do: `read` (GET, HEAD) and `write` (everything else) on its own workspace's objects;
 * `admin` opens the deployment-wide operator views (the queue dashboard) and nothing of the public API.
 */
export type Scope = 'read' | 'write' | 'admin';
export const ALL_SCOPES: Scope[] = ['read', 'write', 'admin'];
/** The scopes a token gets when none are asked for: the public API, never admin. */
export const DEFAULT_SCOPES: Scope[] = ['read', 'write'];

/** Who is calling: the token and the one workspace it may see. */
export interface AuthContext {
  tokenId: string;
  workspaceId: string;
  scopes: Scope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

const PUBLIC_KEY = 'stratus:public';
/** Marks a route that needs no token (health checks, the API reference). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
export const IS_PUBLIC = PUBLIC_KEY;

/** The caller's AuthContext; only on routes behind the AuthGuard. */
export const Auth = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = ctx.switchToHttp().getRequest<FastifyRequest>().auth;
  if (!auth) throw new Error('Auth used on a public route');
  return auth;
});
