import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { PrismaClient } from './generated/client';
import { DATABASE_DEFAULTS, type DatabaseOptions } from './options';

/**
 * Creates a Prisma client over node-postgres (Prisma 7 talks to the database through a driver
 * adapter). Given `pool` (see createPool), it queries through that pool, which its caller ends
 * after `$disconnect()`; without, it opens a pool of its own that `$disconnect()` ends.
 */
export function createPrismaClient(options: DatabaseOptions, pool?: Pool): PrismaClient {
  const poolTimeoutMs = options.poolTimeoutMs ?? DATABASE_DEFAULTS.poolTimeoutMs;
  const adapter = pool
    ? new PrismaPg(pool)
    : new PrismaPg({ connectionString: options.url, max: options.poolSize ?? DATABASE_DEFAULTS.poolSize, connectionTimeoutMillis: poolTimeoutMs });
  return new PrismaClient({
    adapter,
    transactionOptions: {
      maxWait: poolTimeoutMs,
      timeout: options.transactionTimeoutMs ?? DATABASE_DEFAULTS.transactionTimeoutMs,
    },
  });
}
