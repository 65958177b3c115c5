import { Inject, Injectable } from '@nestjs/common';
import type { ServerEnv } from '../config/env';
import { SERVER_ENV } from '../infra/tokens';
import { ALL_SCOPES, type AuthContext, type Scope } from './auth-context';
import { generateTokenSecret, hashToken, tokenHint } from './token-secret';
import { TokensRepository } from './tokens.repository';

/** The workspace that STRATUS_BOOTSTRAP_TOKEN and a fresh laptop install use. */
export const DEFAULT_WORKSPACE_ID = 'wksp_00000000000000000000000000000000';

const TOUCH_INTERVAL_MS = 60_000;

interface CacheEntry {
  auth: AuthContext | null;
  expiresAt: number;
}

/** Verifies tokens (with a short in-process cache), issues and revokes them. */
@Injectable()
export class TokensService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly tokens: TokensRepository,
    @Inject(SERVER_ENV) private readonly env: ServerEnv,
  ) {}

  /** The caller behind a token secret, or null for an unknown or revoked token. */
  async verify(secret: string): Promise<AuthContext | null> {
    const hash = hashToken(secret);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) return cached.auth;

    const row = await this.tokens.findActiveByHash(hash);
    const auth = row ? { tokenId: row.id, workspaceId: row.workspaceId, scopes: row.scopes.filter((s): s is Scope => ALL_SCOPES.includes(s as Scope)) } : null;
    if (this.env.AUTH_CACHE_TTL_MS > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { auth, expiresAt: now + this.env.AUTH_CACHE_TTL_MS });
    }
    if (auth && now - (this.touchedAt.get(auth.tokenId) ?? 0) > TOUCH_INTERVAL_MS) {
      this.touchedAt.set(auth.tokenId, now);
      // last_used_at is informational; a failed update must not fail the request.
      this.tokens.touch(auth.tokenId, new Date(now)).catch(() => undefined);
    }
    return auth;
  }

  /** Creates a token and returns its secret, which is shown this once and never stored. */
  async issue(workspaceId: string, name: string, scopes: Scope[] = ALL_SCOPES): Promise<{ id: string; secret: string }> {
    const secret = generateTokenSecret();
    const row = await this.tokens.createToken({ workspaceId, name, tokenHash: hashToken(secret), hint: tokenHint(secret), scopes });
    return { id: row.id, secret };
  }

  /** Makes STRATUS_BOOTSTRAP_TOKEN a valid token of the default workspace (idempotent). */
  async ensureBootstrapToken(secret: string): Promise<void> {
    await this.tokens.ensureWorkspace(DEFAULT_WORKSPACE_ID, 'default');
    const existing = await this.tokens.findByHash(hashToken(secret));
    if (existing) return;
    await this.tokens.createToken({ workspaceId: DEFAULT_WORKSPACE_ID, name: 'bootstrap', tokenHash: hashToken(secret), hint: tokenHint(secret), scopes: ALL_SCOPES });
  }

  async createWorkspace(name: string): Promise<string> {
    return this.tokens.createWorkspace(name);
  }

  revoke(tokenId: string): Promise<boolean> {
    this.cache.clear();
    return this.tokens.revoke(tokenId);
  }
}
