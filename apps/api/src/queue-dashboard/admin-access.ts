import { type AuthContext, bearerSecret, countFailedAuthentication, forbidden, invalidRequest, type SharedRateLimiter, type TokensService, unauthenticated } from '@stratus/nest-common';
import type { FastifyRequest } from 'fastify';
import { type AdminSessions, DASHBOARD_PATH, SESSION_COOKIE } from './admin-session';

const LOGIN_HINT = `log in at ${DASHBOARD_PATH}/login or send Authorization: Bearer <admin token>`;

/**
 * Who may open the queue dashboard. It shows every workspace's jobs, so it takes a token with the
 * `admin` scope, however many workspaces a token of read/write may see (one): sent as
 * `Authorization: Bearer` by scripts, or exchanged once on the login form for a session cookie,
 * since a browser cannot add a header to the page, script and API loads of the dashboard.
 */
export class AdminAccess {
  constructor(
    private readonly tokens: TokensService,
    private readonly sessions: AdminSessions,
    private readonly failures: SharedRateLimiter | null,
  ) {}

  /** The admin behind a request's bearer token or session cookie; an ApiError (401/403/429) otherwise. */
  async authenticate(request: FastifyRequest): Promise<AuthContext> {
    const secret = bearerSecret(request);
    if (secret !== undefined) return this.verifySecret(secret, request);
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie === undefined) throw unauthenticated(`No admin token or dashboard session; ${LOGIN_HINT}.`);
    const tokenId = this.sessions.open(cookie);
    // A revoked token ends its sessions at once: the token is looked up on every request.
    const auth = tokenId === null ? null : await this.tokens.verifyId(tokenId);
    if (!auth) throw unauthenticated(`The dashboard session has expired or is invalid; ${LOGIN_HINT}.`);
    return requireAdmin(auth);
  }

  /** The admin behind a token typed into the login form. */
  async login(body: unknown, request: FastifyRequest): Promise<AuthContext> {
    const secret = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
    if (typeof secret !== 'string' || secret.trim() === '') throw invalidRequest('token: field required.', 'token');
    return this.verifySecret(secret.trim(), request);
  }

  /** Whether a request carries any credential at all (a browser that never logged in carries none). */
  static hasCredentials(request: FastifyRequest): boolean {
    return request.headers.authorization !== undefined || request.cookies[SESSION_COOKIE] !== undefined;
  }

  private async verifySecret(secret: string, request: FastifyRequest): Promise<AuthContext> {
    const auth = await this.tokens.verify(secret);
    if (!auth) {
      await countFailedAuthentication(this.failures, request);
      throw unauthenticated('Invalid or revoked token.');
    }
    return requireAdmin(auth);
  }
}

function requireAdmin(auth: AuthContext): AuthContext {
  if (!auth.scopes.includes('admin')) throw forbidden('This token lacks the "admin" scope; the queue dashboard is for deployment administrators.');
  return auth;
}
