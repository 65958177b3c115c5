import { randomBytes } from 'node:crypto';
import { migrate } from '@stratus/db';
import { Client } from 'pg';
import { testRunId } from './redis';

/** The server tests run against; CI and the README start it on 127.0.0.1:5432. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database of its own for one test file, on the real PostgreSQL server. */
export async function createTestDatabase(prefix = 'stratus_test'): Promise<TestDatabase> {
  const name = `${prefix}_r${testRunId()}_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(TEST_POSTGRES_URL, name);
  await migrate(url);
  return {
    url,
    name,
    async drop() {
      const admin = new Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * Runs one statement on a database over a connection of its own and returns the rows: what a test
 * sets up or inspects that the API cannot.
 */
export async function sql<T = Record<string, unknown>>(databaseUrl: string, query: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A database name that does not exist yet, for tests of creation and migration from nothing. */
export function unusedDatabaseUrl(prefix = 'stratus_empty'): { url: string; name: string } {
  const name = `${prefix}_r${testRunId()}_${randomBytes(6).toString('hex')}`;
  return { url: withDatabase(TEST_POSTGRES_URL, name), name };
}
