import { createPrismaClient, newId, type PrismaClient, type SessionStatus } from '@stratus/db';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { Redis } from 'ioredis';
import { EventStore, type SessionRef } from '../src';

// What the integration suites of this package stand on: a migrated database of the suite's own on the
// real PostgreSQL, a Redis publisher, and workspaces and sessions written as rows.

export interface EventsDatabase {
  db: TestDatabase;
  prisma: PrismaClient;
  publisher: Redis;
  /** The Redis key prefix `store` publishes under: one of this suite's own. */
  redisKeyPrefix: string;
  /** An EventStore on `prisma` and `publisher`. */
  store: EventStore;
  /** Another client of the database, with its own pool (a writer of its own); closed with the rest. */
  client(options?: { poolSize?: number }): PrismaClient;
}

/** Makes the suite's database, client, publisher and store before its tests, and removes them after. */
export function useEventsDatabase(databasePrefix: string): EventsDatabase {
  const clients: PrismaClient[] = [];
  const fx = {
    redisKeyPrefix: testRedisPrefix(),
    client(options: { poolSize?: number } = {}) {
      const client = createPrismaClient({ url: fx.db.url, ...options });
      clients.push(client);
      return client;
    },
  } as EventsDatabase;
  beforeAll(async () => {
    fx.db = await createTestDatabase(databasePrefix);
    fx.prisma = fx.client();
    fx.publisher = new Redis(TEST_REDIS_URL);
    fx.store = new EventStore(fx.prisma, fx.publisher, fx.redisKeyPrefix);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.$disconnect()));
    fx.publisher?.disconnect();
    await fx.db?.drop();
  });
  return fx;
}

/** A workspace with an agent (at version 1) for sessions to run. */
export async function newWorkspace(prisma: PrismaClient): Promise<{ workspaceId: string; agentId: string }> {
  const workspaceId = newId('workspace');
  const agentId = newId('agent');
  await prisma.workspace.create({ data: { id: workspaceId, name: 'w' } });
  await prisma.agent.create({ data: { id: agentId, workspaceId, currentVersion: 1, updatedAt: new Date() } });
  await prisma.agentVersion.create({ data: { agentId, version: 1, name: 'a', description: '', model: 'm', system: '', tools: [], mcpServers: [], metadata: {} } });
  return { workspaceId, agentId };
}

export interface SessionOptions {
  /** Default processing: the status an append finds during a turn. */
  status?: SessionStatus;
  turnJobId?: string | null;
  updatedAt?: Date;
  /** The workspace also has a webhook that wants every event, so each stored event has one delivery. */
  webhook?: boolean;
}

/** A session in a workspace of its own. */
export async function newSession(prisma: PrismaClient, options: SessionOptions = {}): Promise<SessionRef> {
  const { status = 'processing', turnJobId = null, updatedAt = new Date(), webhook = false } = options;
  const { workspaceId, agentId } = await newWorkspace(prisma);
  const sessionId = newId('session');
  await prisma.session.create({ data: { id: sessionId, workspaceId, agentId, agentVersion: 1, environmentId: 'env_x', title: '', metadata: {}, status, turnJobId, updatedAt } });
  if (webhook) {
    await prisma.webhook.create({ data: { id: newId('webhook'), workspaceId, url: 'https://hooks.example.com/', eventTypes: ['*'], description: '', secretEncrypted: new Uint8Array([1]), updatedAt } });
  }
  return { sessionId, workspaceId };
}
