import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createPool, createPrismaClient, SecretBox, type DatabaseOptions, type Pool, type PrismaClient } from '@stratus/db';
import { EventStore } from '@stratus/events';
import { loadModelsConfig, ModelCatalog } from '@stratus/models';
import { SandboxLifecycleProducer, SessionTurnProducer } from '@stratus/queues';
import { Redis } from 'ioredis';
import { DEV_ENCRYPTION_KEY, type ServerEnv } from '../config/env';
import { SERVER_ENV, EVENT_STORE, MODEL_CATALOG, PG_POOL, PRISMA, REDIS, SANDBOX_LIFECYCLE_PRODUCER, SECRET_BOX, TURN_PRODUCER } from './tokens';

/**
 * The clients every module shares: PostgreSQL (one node-postgres pool, and Prisma over it), Redis, the model catalog, the secret box, the
 * event store and the producers of turn and sandbox lifecycle jobs.
 */
@Global()
@Module({})
export class InfraModule implements OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(TURN_PRODUCER) private readonly turns: SessionTurnProducer,
    @Inject(SANDBOX_LIFECYCLE_PRODUCER) private readonly lifecycle: SandboxLifecycleProducer,
  ) {}

  static forRoot(env: ServerEnv): DynamicModule {
    const database: DatabaseOptions = {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      poolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
      transactionTimeoutMs: env.DATABASE_TRANSACTION_TIMEOUT_MS,
    };
    return {
      module: InfraModule,
      providers: [
        { provide: SERVER_ENV, useValue: env },
        { provide: PG_POOL, useFactory: () => createPool(database) },
        { provide: PRISMA, inject: [PG_POOL], useFactory: (pool: Pool) => createPrismaClient(database, pool) },
        {
          provide: REDIS,
          // One retry per command: while Redis is down requests fail fast with 503 instead of queueing.
          useFactory: () => new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false }),
        },
        { provide: MODEL_CATALOG, useFactory: () => new ModelCatalog(loadModelsConfig(process.env)) },
        {
          provide: SECRET_BOX,
          useFactory: () => {
            if (!env.STRATUS_ENCRYPTION_KEY) new Logger('config').warn('STRATUS_ENCRYPTION_KEY is not set: using the development key');
            return new SecretBox(env.STRATUS_ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY);
          },
        },
        { provide: EVENT_STORE, inject: [PRISMA, REDIS], useFactory: (prisma: PrismaClient, redis: Redis) => new EventStore(prisma, redis, env.REDIS_KEY_PREFIX) },
        { provide: TURN_PRODUCER, inject: [REDIS], useFactory: (redis: Redis) => new SessionTurnProducer(redis, env.REDIS_KEY_PREFIX) },
        { provide: SANDBOX_LIFECYCLE_PRODUCER, inject: [REDIS], useFactory: (redis: Redis) => new SandboxLifecycleProducer(redis, env.REDIS_KEY_PREFIX) },
      ],
      exports: [SERVER_ENV, PG_POOL, PRISMA, REDIS, MODEL_CATALOG, SECRET_BOX, EVENT_STORE, TURN_PRODUCER, SANDBOX_LIFECYCLE_PRODUCER],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.turns.close(), this.lifecycle.close()]);
    // quit() waits for a connection that may never come back; only a connected client can say goodbye.
    // Prisma lets go of the pool it queries through; the pool's connections close after.
    const postgres = this.prisma.$disconnect().then(() => this.pool.end());
    await Promise.allSettled([postgres, this.redis.status === 'ready' ? this.redis.quit() : Promise.resolve(this.redis.disconnect())]);
  }
}
