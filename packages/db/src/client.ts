import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';

export interface DatabaseOptions {
  /** PostgreSQL connection string. */
  url: string;
  /** Size of the connection pool. */
  poolSize?: number;
}

/** Creates a Prisma client over node-postgres (Prisma 7 talks to the database through a driver adapter). */
export function createPrismaClient(options: DatabaseOptions): PrismaClient {
  const adapter = new PrismaPg({ connectionString: options.url, max: options.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}
