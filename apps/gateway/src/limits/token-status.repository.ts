import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** Whether the tokens behind open streams are still valid, straight from PostgreSQL. */
@Injectable()
export class TokenStatusRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** The ids among `tokenIds` of tokens that exist and are not revoked. */
  async activeTokenIds(tokenIds: string[]): Promise<Set<string>> {
    const rows = await this.prisma.apiToken.findMany({ where: { id: { in: tokenIds }, revokedAt: null }, select: { id: true } });
    return new Set(rows.map((row) => row.id));
  }
}
