import { Inject, Injectable } from '@nestjs/common';
import { newId, queryRows, type ApiToken, type Pool, type PrismaClient } from '@stratus/db';
import { PG_POOL, PRISMA } from '../infra/tokens';

const TOKEN_COLUMNS = `id, workspace_id AS "workspaceId", name, token_hash AS "tokenHash", hint, scopes,
  created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/**
 * Workspaces and their personal access tokens in PostgreSQL. The lookups every authenticated
 * request can make are SQL through the pool; the rest goes through Prisma.
 */
@Injectable()
export class TokensRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async findActiveByHash(tokenHash: string): Promise<ApiToken | null> {
    const rows = await queryRows<ApiToken>(this.pool, `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash]);
    return rows[0] ?? null;
  }

  async findActiveById(id: string): Promise<ApiToken | null> {
    const rows = await queryRows<ApiToken>(this.pool, `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = $1 AND revoked_at IS NULL`, [id]);
    return rows[0] ?? null;
  }

  findByHash(tokenHash: string): Promise<ApiToken | null> {
    return this.prisma.apiToken.findUnique({ where: { tokenHash } });
  }

  async touch(tokenId: string, at: Date): Promise<void> {
    await this.prisma.apiToken.update({ where: { id: tokenId }, data: { lastUsedAt: at } });
  }

  async ensureWorkspace(id: string, name: string): Promise<void> {
    await this.prisma.workspace.upsert({ where: { id }, create: { id, name }, update: {} });
  }

  async createWorkspace(name: string): Promise<string> {
    const workspace = await this.prisma.workspace.create({ data: { id: newId('workspace'), name } });
    return workspace.id;
  }

  workspaceExists(id: string): Promise<boolean> {
    return this.prisma.workspace.findUnique({ where: { id } }).then(Boolean);
  }

  createToken(input: { workspaceId: string; name: string; tokenHash: string; hint: string; scopes: string[] }): Promise<ApiToken> {
    return this.prisma.apiToken.create({ data: { id: newId('token'), ...input } });
  }

  /** Returns false when no such token exists. */
  async revoke(tokenId: string): Promise<boolean> {
    const { count } = await this.prisma.apiToken.updateMany({ where: { id: tokenId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count > 0 || (await this.prisma.apiToken.findUnique({ where: { id: tokenId } })) !== null;
  }

  /** Every workspace with how many of its tokens are not revoked, oldest first. */
  async listWorkspaces(): Promise<{ id: string; name: string; createdAt: Date; activeTokens: number }[]> {
    const rows = await this.prisma.workspace.findMany({
      orderBy: { id: 'asc' },
      include: { _count: { select: { tokens: { where: { revokedAt: null } } } } },
    });
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.createdAt, activeTokens: row._count.tokens }));
  }

  /** Revokes the workspace's active tokens of that name, except the one with this hash. */
  async revokeNamedExcept(workspaceId: string, name: string, keepHash: string): Promise<void> {
    await this.prisma.apiToken.updateMany({ where: { workspaceId, name, revokedAt: null, NOT: { tokenHash: keepHash } }, data: { revokedAt: new Date() } });
  }

  listTokens(workspaceId: string): Promise<ApiToken[]> {
    return this.prisma.apiToken.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } });
  }
}
