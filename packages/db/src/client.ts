import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export interface DatabaseOptions {
  /** PostgreSQL connection string. */
  url: string;
  /** Size of the connection pool. */
  poolSize?: number;
  /**
   * How long a query or a transaction waits for a pooled connection before it fails (Prisma P2028
   * for a transaction). Prisma's own default of 2 s turned a brief queue for the pool under load into
   * failed requests.
   */
  poolTimeoutMs?: number;
  /** The longest an interactive transaction may stay open (Prisma's default is 5 s). */
  transactionTimeoutMs?: number;
}

/** Defaults of {@link DatabaseOptions}, shared with the servers' env schema. */
export const DATABASE_DEFAULTS = { poolSize: 10, poolTimeoutMs: 10_000, transactionTimeoutMs: 15_000 } as const;

/** Creates a Prisma client over node-postgres (Prisma 7 talks to the database through a driver adapter). */
export function createPrismaClient(options: DatabaseOptions): PrismaClient {
  const poolTimeoutMs = options.poolTimeoutMs ?? DATABASE_DEFAULTS.poolTimeoutMs;
  const adapter = new PrismaPg({ connectionString: options.url, max: options.poolSize ?? DATABASE_DEFAULTS.poolSize, connectionTimeoutMillis: poolTimeoutMs });
  return new PrismaClient({
    adapter,
    transactionOptions: {
      maxWait: poolTimeoutMs,
      timeout: options.transactionTimeoutMs ?? DATABASE_DEFAULTS.transactionTimeoutMs,
    },
  });
}
