import { Inject, Injectable } from '@nestjs/common';
import { newId, type ApiToken, type PrismaClient } from '@stratus/db';
import { PRISMA } from '../infra/tokens';

/** Workspaces and their personal access tokens in PostgreSQL. */
@Injectable()
export class TokensRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  findActiveByHash(tokenHash: string): Promise<ApiToken | null> {
    return this.prisma.apiToken.findFirst({ where: { tokenHash, revokedAt: null } });
  }

  findActiveById(id: string): Promise<ApiToken | null> {
    return this.prisma.apiToken.findFirst({ where: { id, revokedAt: null } });
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
