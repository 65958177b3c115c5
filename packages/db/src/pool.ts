import { createHash } from 'node:crypto';
import { Pool, type QueryConfig, type QueryResultRow } from 'pg';
import { DATABASE_DEFAULTS, type DatabaseOptions } from './options';

/**
 * The node-postgres pool of a server process. Prisma runs over it (createPrismaClient takes it), and
 * the hot statements written in SQL query it directly, so a process has one pool of
 * `poolSize` connections, whichever way a query goes.
 */
export function createPool(options: DatabaseOptions): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? DATABASE_DEFAULTS.poolSize,
    // Past it pg-pool fails the query with "timeout exceeded when trying to connect", which the
    // servers answer 503 as they do Prisma's P2028.
    connectionTimeoutMillis: options.poolTimeoutMs ?? DATABASE_DEFAULTS.poolTimeoutMs,
  });
  // An idle connection that breaks (PostgreSQL restarted, the network cut) is dropped by the pool,
  // which then emits 'error': unheard, that would end the process. The next query connects afresh.
  pool.on('error', () => undefined);
  return pool;
}

// Keyed by text; the texts are built by code from a bounded set of parts, never from input.
const names = new Map<string, string>();

/**
 * A statement PostgreSQL parses and plans once per connection (a named prepared statement) rather
 * than on every call. The name derives from the text, so every distinct text (a list query built
 * from its filters, say) gets its own statement and two texts never share a name.
 */
export function prepared(text: string, values: unknown[]): QueryConfig<unknown[]> {
  let name = names.get(text);
  if (name === undefined) {
    name = `s_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values };
}

/** Runs a prepared statement and returns its rows. */
export async function queryRows<R extends QueryResultRow>(pool: Pool, text: string, values: unknown[]): Promise<R[]> {
  return (await pool.query<R>(prepared(text, values))).rows;
}
