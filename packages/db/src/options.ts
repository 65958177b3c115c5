/** How a process reaches PostgreSQL: one pool, shared by Prisma and the statements written in SQL. */
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
