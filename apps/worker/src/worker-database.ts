import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { createPrismaClient, type PrismaClient } from '@stratus/db';
import { EventStore } from '@stratus/events';
import { EVENT_STORE, PRISMA, REDIS } from '@stratus/nest-common';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './config/worker-env';

/**
 * The worker's own PostgreSQL pool (STRATUS_WORKER_DATABASE_POOL_SIZE), and the event store over it.
 * Provided in WorkerModule, they stand in for CoreModule's global ones inside it: in the all-in-one,
 * running turns then never hold the connections the API's requests wait for, which under load
 * turned POST /sessions and POST /sessions/{id}/events into 503s.
 */
export function workerDatabaseProviders(env: WorkerEnv): Provider[] {
  return [
    {
      provide: PRISMA,
      useFactory: () =>
        createPrismaClient({
          url: env.DATABASE_URL,
          poolSize: env.STRATUS_WORKER_DATABASE_POOL_SIZE,
          poolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
          transactionTimeoutMs: env.DATABASE_TRANSACTION_TIMEOUT_MS,
        }),
    },
    { provide: EVENT_STORE, inject: [PRISMA, REDIS], useFactory: (prisma: PrismaClient, redis: Redis) => new EventStore(prisma, redis, env.REDIS_KEY_PREFIX) },
    WorkerDatabaseShutdown,
  ];
}

/** Closes the worker's pool once the queue workers have stopped (they stop before shutdown hooks run). */
@Injectable()
export class WorkerDatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}
