import { Inject, Injectable } from '@nestjs/common';
import type { CreateEnvironmentRequest, UpdateEnvironmentRequest } from '@stratus/contracts';
import { newId, Prisma, type Environment as EnvironmentRow, type PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';
import { keysetWhere, type SliceRequest } from '../common/pagination';

/** Thrown when a name is already taken in the workspace. */
export class DuplicateNameError extends Error {}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

@Injectable()
export class EnvironmentsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(workspaceId: string, input: CreateEnvironmentRequest): Promise<EnvironmentRow> {
    const now = new Date();
    try {
      return await this.prisma.environment.create({
        data: { id: newId('environment'), workspaceId, name: input.name, description: input.description, config: input.config, metadata: input.metadata, createdAt: now, updatedAt: now },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateNameError();
      throw error;
    }
  }

  find(workspaceId: string, id: string): Promise<EnvironmentRow | null> {
    return this.prisma.environment.findFirst({ where: { id, workspaceId } });
  }

  async update(id: string, input: UpdateEnvironmentRequest): Promise<EnvironmentRow> {
    try {
      return await this.prisma.environment.update({
        where: { id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.config !== undefined ? { config: input.config } : {}),
          ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
          updatedAt: new Date(),
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateNameError();
      throw error;
    }
  }

  async archive(id: string): Promise<EnvironmentRow> {
    const now = new Date();
    await this.prisma.environment.updateMany({ where: { id, archivedAt: null }, data: { archivedAt: now, updatedAt: now } });
    return this.prisma.environment.findUniqueOrThrow({ where: { id } });
  }

  /**
   * Deletes the environment unless a non-archived session uses it. The environment row is locked
   * first, and session creation takes a share lock on it, so no session can slip in between.
   */
  async deleteIfUnused(id: string): Promise<'deleted' | 'in_use'> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM environments WHERE id = ${id} FOR UPDATE`;
      const inUse = await tx.session.count({ where: { environmentId: id, archivedAt: null } });
      if (inUse > 0) return 'in_use';
      await tx.environment.delete({ where: { id } });
      return 'deleted';
    });
  }

  listSlice(workspaceId: string, filter: { includeArchived: boolean; createdAt?: { gte?: Date; lte?: Date } }, slice: SliceRequest<string>): Promise<EnvironmentRow[]> {
    return this.prisma.environment.findMany({
      where: {
        workspaceId,
        ...(filter.includeArchived ? {} : { archivedAt: null }),
        ...(filter.createdAt ? { createdAt: filter.createdAt } : {}),
        ...keysetWhere('id', slice),
      },
      orderBy: { id: slice.order },
      take: slice.take,
    });
  }

  async exists(workspaceId: string, id: string): Promise<boolean> {
    return (await this.prisma.environment.count({ where: { id, workspaceId } })) > 0;
  }
}
