import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@stratus/db';
import type { Redis } from 'ioredis';
import { PRISMA, REDIS } from '../infra/tokens';

const TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), TIMEOUT_MS).unref())]);
}

@Injectable()
export class HealthRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Whether each dependency answers a trivial query within two seconds. */
  async check(): Promise<{ postgres: boolean; redis: boolean }> {
    const [postgres, redis] = await Promise.allSettled([withTimeout(this.prisma.$queryRaw`SELECT 1`), withTimeout(this.redis.ping())]);
    return { postgres: postgres.status === 'fulfilled', redis: redis.status === 'fulfilled' };
  }
}
