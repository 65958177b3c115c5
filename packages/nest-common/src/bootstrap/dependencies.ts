import { ensureDatabase, migrate } from '@stratus/db';
import { Redis } from 'ioredis';

/** A start-up failure with a message meant for the person starting the process. */
export class StartupError extends Error {}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Fails with a clear message, naming the URL and how to start it, when PostgreSQL is unreachable. */
export async function checkPostgres(url: string): Promise<void> {
  try {
    await ensureDatabase(url);
  } catch (error) {
    throw new StartupError(
      `PostgreSQL is not reachable at ${redact(url)} (${(error as Error).message}).\n` +
        `Start PostgreSQL 14+ (docker compose -f deploy/compose/docker-compose.yml up -d postgres, or on Debian/Ubuntu: apt-get install postgresql && service postgresql start) or set DATABASE_URL.`,
    );
  }
}

/** Fails with a clear message, naming the URL and how to start it, when Redis is unreachable. */
export async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new StartupError(
      `Redis is not reachable at ${redact(url)} (${(error as Error).message}).\n` +
        `Start Redis 7 (docker compose -f deploy/compose/docker-compose.yml up -d redis, or on Debian/Ubuntu: apt-get install redis-server && service redis-server start) or set REDIS_URL.`,
    );
  } finally {
    redis.disconnect();
  }
}

/** Applies pending migrations, reporting what it did. */
export async function applyMigrations(url: string, log: (message: string) => void): Promise<void> {
  const result = await migrate(url);
  if (result.applied.length) log(`applied migrations: ${result.applied.join(', ')}`);
}
