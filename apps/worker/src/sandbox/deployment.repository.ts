import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@stratus/db';
import { PRISMA } from '@stratus/nest-common';

/** This deployment's identity, kept in its database (the one-row `deployment` table). */
@Injectable()
export class DeploymentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * The deployment's id, written by the first worker to start: every worker of the deployment reads the
   * same one, and another deployment (another database) has another. 12 hex characters, so the local
   * sandbox directory named after it keeps runner socket paths short.
   */
  async id(): Promise<string> {
    // Workers starting together race to write it; the row's constant key lets only the first one in.
    await this.prisma.deployment.createMany({ data: [{ id: randomBytes(6).toString('hex') }], skipDuplicates: true });
    return (await this.prisma.deployment.findUniqueOrThrow({ where: { singleton: true } })).id;
  }
}
