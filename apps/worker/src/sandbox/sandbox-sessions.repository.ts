import { Inject, Injectable } from '@nestjs/common';
import { EnvironmentConfig } from '@stratus/contracts';
import type { PrismaClient, SessionStatus } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** What the sandbox lifecycle needs to know of sessions and environments, from PostgreSQL. */
@Injectable()
export class SandboxSessionsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** The session's status; undefined when it is gone. */
  async status(sessionId: string): Promise<SessionStatus | undefined> {
    const session = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { status: true } });
    return session?.status;
  }

  /** The subset of `sessionIds` whose sessions exist and are not archived: only those may keep a sandbox. */
  async live(sessionIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await this.prisma.session.findMany({ where: { id: { in: [...sessionIds] }, archivedAt: null }, select: { id: true } });
    return new Set(rows.map((row) => row.id));
  }

  /** The environments among `ids` that exist, with their workspace, for warm pools. */
  async environments(ids: readonly string[]): Promise<{ id: string; workspaceId: string; config: EnvironmentConfig }[]> {
    if (ids.length === 0) return [];
    const rows = await this.prisma.environment.findMany({ where: { id: { in: [...ids] }, archivedAt: null }, select: { id: true, workspaceId: true, config: true } });
    return rows.map((row) => ({ id: row.id, workspaceId: row.workspaceId, config: EnvironmentConfig.parse(row.config) }));
  }
}
