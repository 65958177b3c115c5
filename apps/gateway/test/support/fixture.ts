import { createPool, createPrismaClient, newId, type PrismaClient } from '@stratus/db';
import { EventStore, newEvent } from '@stratus/events';
import { parseServerEnv, TokensRepository, TokensService } from '@stratus/nest-common';
import { createTestDatabase, eventually, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@stratus/testing';
import { Redis } from 'ioredis';

/**
 * What the rest of Stratus does around a gateway, done for real: a database of its own, tokens,
 * sessions, and events appended through the EventStore exactly as the API and the worker append
 * them (committed to PostgreSQL, then published on Redis).
 */
export interface Fixture {
  db: TestDatabase;
  prisma: PrismaClient;
  redisUrl: string;
  /** The REDIS_KEY_PREFIX the fixture publishes under, and the gateways it starts use. */
  redisKeyPrefix: string;
  store: EventStore;
  newWorkspace(): Promise<{ workspaceId: string; token: string }>;
  newSession(workspaceId: string): Promise<string>;
  /** Appends `count` agent.message events in one transaction, then publishes them; returns their ids. */
  append(sessionId: string, count?: number, textBytes?: number): Promise<string[]>;
  /** Appends without publishing: a publish that Redis dropped. */
  appendUnpublished(sessionId: string, count?: number): Promise<string[]>;
  /** Deletes the session as the API does; `announce: false` loses the session.deleted publish. */
  deleteSession(sessionId: string, announce?: boolean): Promise<void>;
  /** Resolves once the publisher is connected (after a Redis restart, publishes before that are lost). */
  publisherReady(): Promise<void>;
  /** The session's event ids as stored, in sequence order: what every stream must deliver. */
  tableIds(sessionId: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function createFixture(options: { redisUrl?: string } = {}): Promise<Fixture> {
  const db = await createTestDatabase('stratus_gateway');
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const redisKeyPrefix = testRedisPrefix();
  const pool = createPool({ url: db.url, poolSize: 4 });
  const prisma = createPrismaClient({ url: db.url }, pool);
  // No offline queue: while Redis is down a publish is lost, as Redis pub/sub would lose it anyway.
  const publisher = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  publisher.on('error', () => undefined);
  const store = new EventStore(prisma, publisher, redisKeyPrefix);
  const tokens = new TokensService(new TokensRepository(prisma, pool), parseServerEnv({}));

  const messages = (count: number, textBytes: number) =>
    Array.from({ length: count }, (_, i) => newEvent('agent.message', { content: [{ type: 'text', text: `${i} `.padEnd(textBytes, 'x') }] }, { processed: true }));

  return {
    db,
    prisma,
    redisUrl,
    redisKeyPrefix,
    store,
    async newWorkspace() {
      const workspaceId = await tokens.createWorkspace('gateway-test');
      return { workspaceId, token: (await tokens.issue(workspaceId, 'test')).secret };
    },
    async newSession(workspaceId) {
      const now = new Date();
      const agentId = newId('agent');
      await prisma.agent.create({
        data: {
          id: agentId,
          workspaceId,
          currentVersion: 1,
          updatedAt: now,
          versions: { create: { version: 1, name: 'helper', description: '', model: 'stratus-demo', system: '', tools: [], mcpServers: [], metadata: {} } },
        },
      });
      const environment = await prisma.environment.create({
        data: { id: newId('environment'), workspaceId, name: newId('environment'), description: '', config: { type: 'cloud' }, metadata: {}, updatedAt: now },
      });
      const session = await prisma.session.create({
        data: { id: newId('session'), workspaceId, agentId, agentVersion: 1, environmentId: environment.id, title: '', metadata: {}, updatedAt: now },
      });
      return session.id;
    },
    async append(sessionId, count = 1, textBytes = 16) {
      return (await store.append(sessionId, messages(count, textBytes))).map((row) => row.id);
    },
    async appendUnpublished(sessionId, count = 1) {
      const rows = await prisma.$transaction((tx) => store.appendInTransaction(tx, sessionId, messages(count, 16)));
      return rows.map((row) => row.id);
    },
    async deleteSession(sessionId, announce = true) {
      const [row] = await prisma.$queryRaw<{ last_seq: number }[]>`DELETE FROM sessions WHERE id = ${sessionId} RETURNING last_seq`;
      if (announce) await store.publishDeleted(sessionId, row!.last_seq);
    },
    publisherReady: async () => {
      await eventually(async () => publisher.status === 'ready', 10_000, 'the publisher to reconnect');
    },
    async tableIds(sessionId) {
      const rows = await prisma.event.findMany({ where: { sessionId }, orderBy: { seq: 'asc' }, select: { id: true } });
      return rows.map((row) => row.id);
    },
    async close() {
      publisher.disconnect();
      await prisma.$disconnect();
      await pool.end();
      await db.drop();
    },
  };
}
