import { Inject, Injectable } from '@nestjs/common';
import type { ApiToken } from '@stratus/db';
import { LRUCache } from 'lru-cache';
import type { ServerEnv } from '../config/env';
import { SERVER_ENV } from '../infra/tokens';
import { ALL_SCOPES, type AuthContext, DEFAULT_SCOPES, type Scope } from './auth-context';
import { generateTokenSecret, hashToken, tokenHint } from './token-secret';
import { TokensRepository } from './tokens.repository';

/** The workspace that STRATUS_BOOTSTRAP_TOKEN and a fresh laptop install use. */
export const DEFAULT_WORKSPACE_ID = 'wksp_00000000000000000000000000000000';

const TOUCH_INTERVAL_MS = 60_000;

/** A stored token as a caller; scopes this version does not know are dropped, never honoured. */
function toAuthContext(row: ApiToken): AuthContext {
  return { tokenId: row.id, workspaceId: row.workspaceId, scopes: row.scopes.filter((s): s is Scope => ALL_SCOPES.includes(s as Scope)) };
}

/** The token name ensureBootstrapToken gives; a changed STRATUS_BOOTSTRAP_TOKEN revokes the others so named. */
const BOOTSTRAP_TOKEN_NAME = 'bootstrap';

/**
 * Verifies tokens, issues and revokes them. Verified tokens and unknown ones are cached apart, each
 * in a bounded LRU, so a flood of made-up tokens can neither grow memory nor push out the tokens
 * of real callers, and repeating a bad token costs no PostgreSQL query.
 */
@Injectable()
export class TokensService {
  private readonly verified: LRUCache<string, AuthContext> | null;
  private readonly unknown: LRUCache<string, true> | null;
  private readonly touchedAt: LRUCache<string, number>;

  constructor(
    private readonly tokens: TokensRepository,
    @Inject(SERVER_ENV) env: ServerEnv,
  ) {
    this.verified = env.AUTH_CACHE_TTL_MS > 0 ? new LRUCache({ max: env.AUTH_CACHE_MAX_ENTRIES, ttl: env.AUTH_CACHE_TTL_MS }) : null;
    this.unknown = env.AUTH_NEGATIVE_CACHE_TTL_MS > 0 ? new LRUCache({ max: env.AUTH_NEGATIVE_CACHE_MAX_ENTRIES, ttl: env.AUTH_NEGATIVE_CACHE_TTL_MS }) : null;
    this.touchedAt = new LRUCache({ max: env.AUTH_CACHE_MAX_ENTRIES });
  }

  /** The caller behind a token secret, or null for an unknown or revoked token. */
  async verify(secret: string): Promise<AuthContext | null> {
    const hash = hashToken(secret);
    const cached = this.verified?.get(hash);
    if (cached) return cached;
    if (this.unknown?.has(hash)) return null;

    const row = await this.tokens.findActiveByHash(hash);
    if (!row) {
      this.unknown?.set(hash, true);
      return null;
    }
    const auth = toAuthContext(row);
    this.verified?.set(hash, auth);
    const now = Date.now();
    if (now - (this.touchedAt.get(auth.tokenId) ?? 0) > TOUCH_INTERVAL_MS) {
      this.touchedAt.set(auth.tokenId, now);
      // last_used_at is informational; a failed update must not fail the request.
      this.tokens.touch(auth.tokenId, new Date(now)).catch(() => undefined);
    }
    return auth;
  }

  /**
   * The caller behind a token id that was verified earlier (an admin session cookie names one), or
   * null once it is revoked. Asks PostgreSQL every time: revocation must end such a session at once.
   */
  async verifyId(tokenId: string): Promise<AuthContext | null> {
    const row = await this.tokens.findActiveById(tokenId);
    return row ? toAuthContext(row) : null;
  }

  /** Creates a token and returns its secret, which is shown this once and never stored. */
  async issue(workspaceId: string, name: string, scopes: Scope[] = DEFAULT_SCOPES): Promise<{ id: string; secret: string }> {
    const secret = generateTokenSecret();
    const row = await this.tokens.createToken({ workspaceId, name, tokenHash: hashToken(secret), hint: tokenHint(secret), scopes });
    return { id: row.id, secret };
  }

  /**
   * Makes STRATUS_BOOTSTRAP_TOKEN a valid token of the default workspace (idempotent) and revokes
   * any earlier bootstrap token: changing the variable is how an operator rotates a leaked one.
   */
  async ensureBootstrapToken(secret: string): Promise<void> {
    const tokenHash = hashToken(secret);
    await this.tokens.ensureWorkspace(DEFAULT_WORKSPACE_ID, 'default');
    await this.tokens.revokeNamedExcept(DEFAULT_WORKSPACE_ID, BOOTSTRAP_TOKEN_NAME, tokenHash);
    const existing = await this.tokens.findByHash(tokenHash);
    if (existing) return;
    await this.tokens.createToken({ workspaceId: DEFAULT_WORKSPACE_ID, name: BOOTSTRAP_TOKEN_NAME, tokenHash, hint: tokenHint(secret), scopes: DEFAULT_SCOPES });
  }

  async createWorkspace(name: string): Promise<string> {
    return this.tokens.createWorkspace(name);
  }

  revoke(tokenId: string): Promise<boolean> {
    // The cache is keyed by hash, not id; revocations are rare enough to start it afresh.
    this.verified?.clear();
    return this.tokens.revoke(tokenId);
  }
}
