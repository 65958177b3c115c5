import type { AgentDefinition } from '@stratus/contracts';
import type { Pool, PrismaClient } from '@stratus/db';
import { PG_POOL, PRISMA, TokensRepository } from '@stratus/nest-common';
import { Client, type PoolClient } from 'pg';
import { AgentsRepository } from '../src/agents/agents.repository';
import { keysetWhere, type SliceRequest } from '../src/common/pagination';
import { SessionsRepository, type SessionFilter } from '../src/sessions/sessions.repository';
import { createSession, demoAgent, expectError, type Reply, startTestApi, type TestApi } from './harness';

/**
 * The hot statements written in SQL (token lookup, session point read, session list pages, agent
 * create) against what Prisma gave before them, and how they fail when the pool is busy or a
 * connection is lost: 503 with retry-after, as the Prisma paths answer, never 500.
 */

const WITH_AGENT = { agentVersionRef: { include: { agent: true } } } as const;

describe('the session reads in SQL', () => {
  let api: TestApi;
  let prisma: PrismaClient;
  let sessions: SessionsRepository;
  let workspaceId: string;
  const ids: string[] = [];
  let otherAgentId: string;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get<PrismaClient>(PRISMA);
    sessions = api.app.get(SessionsRepository);
    const first = await createSession(api);
    ids.push(first.sessionId);
    for (let i = 0; i < 3; i++) {
      const created = await api.request('POST', '/sessions', { body: { agent: first.agentId, environment_id: first.environmentId, title: `s${i}`, metadata: { n: String(i) } } });
      ids.push(created.body.id);
    }
    const other = await createSession(api);
    otherAgentId = other.agentId;
    ids.push(other.sessionId);
    [{ workspaceId }] = await api.sql('SELECT workspace_id AS "workspaceId" FROM sessions WHERE id = $1', [first.sessionId]);
    // States the API does not make by itself in a test: a busy session, more activity than a double holds.
    await api.sql(`UPDATE sessions SET status = 'processing', active_ms = 9007199254740993, input_tokens = 7 WHERE id = $1`, [ids[1]]);
    expect((await api.request('POST', `/sessions/${ids[2]}/archive`)).status).toBe(200);
    // The agent moves on to version 2; its sessions stay bound to version 1.
    expect((await api.request('POST', `/agents/${first.agentId}`, { body: { system: 'Be briefer.' } })).status).toBe(200);
  });
  afterAll(() => api.close());

  it('reads a session as Prisma read it, and nothing of another workspace', async () => {
    for (const id of ids) {
      const viaPrisma = await prisma.session.findFirst({ where: { id, workspaceId }, include: WITH_AGENT, omit: { environmentVariables: true } });
      expect(viaPrisma).not.toBeNull();
      expect(await sessions.find(workspaceId, id)).toEqual(viaPrisma);
    }
    expect(await sessions.find('wksp_other', ids[0]!)).toBeNull();
    expect(await sessions.find(workspaceId, 'sesn_missing')).toBeNull();
  });

  it('reads every page of every filter as the Prisma query it replaced', async () => {
    const [{ createdAt }] = await api.sql('SELECT created_at AS "createdAt" FROM sessions WHERE id = $1', [ids[2]]);
    const filters: SessionFilter[] = [
      { includeArchived: false },
      { includeArchived: true },
      { includeArchived: true, agentId: otherAgentId },
      { includeArchived: true, statuses: ['processing', 'canceling'] },
      { includeArchived: true, statuses: [] },
      { includeArchived: true, createdAt: { gte: createdAt } },
      { includeArchived: false, createdAt: { lte: createdAt } },
      { includeArchived: true, createdAt: { gte: createdAt, lte: createdAt } },
    ];
    const slices: SliceRequest<string>[] = [
      { order: 'desc', take: 21 },
      { order: 'asc', take: 2 },
      { beyond: ids[2]!, order: 'asc', take: 21 },
      { beyond: ids[2]!, order: 'desc', take: 2 },
    ];
    let nonEmpty = 0;
    for (const filter of filters) {
      for (const slice of slices) {
        const viaPrisma = await prisma.session.findMany({
          where: {
            workspaceId,
            ...(filter.includeArchived ? {} : { archivedAt: null }),
            ...(filter.agentId ? { agentId: filter.agentId } : {}),
            ...(filter.statuses ? { status: { in: filter.statuses } } : {}),
            ...(filter.createdAt ? { createdAt: filter.createdAt } : {}),
            ...keysetWhere('id', slice),
          },
          orderBy: { id: slice.order },
          take: slice.take,
          include: WITH_AGENT,
          omit: { environmentVariables: true },
        });
        if (viaPrisma.length > 0) nonEmpty++;
        expect({ filter, slice, rows: await sessions.listSlice(workspaceId, filter, slice) }).toEqual({ filter, slice, rows: viaPrisma });
      }
    }
    // The comparison is not between empty lists.
    expect(nonEmpty).toBeGreaterThan(20);
  });
});

describe('the token lookups and the agent create in SQL', () => {
  let api: TestApi;
  let prisma: PrismaClient;
  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get<PrismaClient>(PRISMA);
  });
  afterAll(() => api.close());

  it('finds an active token by hash and by id as Prisma found it, and not once it is revoked', async () => {
    const tokens = api.app.get(TokensRepository);
    await api.newWorkspaceToken(['read']);
    const [token] = await prisma.apiToken.findMany({ where: { scopes: { equals: ['read'] } } });
    await prisma.apiToken.update({ where: { id: token!.id }, data: { lastUsedAt: new Date('2026-01-02T03:04:05.678Z') } });
    const stored = await prisma.apiToken.findUniqueOrThrow({ where: { id: token!.id } });
    expect(await tokens.findActiveByHash(stored.tokenHash)).toEqual(stored);
    expect(await tokens.findActiveById(stored.id)).toEqual(stored);
    await tokens.revoke(stored.id);
    expect(await tokens.findActiveByHash(stored.tokenHash)).toBeNull();
    expect(await tokens.findActiveById(stored.id)).toBeNull();
  });

  it('creates an agent and its first version, returning them as Prisma reads them back', async () => {
    const agents = api.app.get(AgentsRepository);
    const [{ workspaceId }] = await api.sql('SELECT workspace_id AS "workspaceId" FROM api_tokens LIMIT 1');
    const definition: AgentDefinition = {
      name: 'écho',
      description: 'quotes \' and \\ and "',
      model: 'stratus-demo',
      system: 'line\nbreak',
      tools: [{ type: 'custom', name: 'lookup', description: '', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
      mcp_servers: [],
      metadata: { b: '2', a: '1' },
    };
    const created = await agents.create(workspaceId, definition);
    const agent = await prisma.agent.findUniqueOrThrow({ where: { id: created.agent.id } });
    const version = await prisma.agentVersion.findUniqueOrThrow({ where: { agentId_version: { agentId: created.agent.id, version: 1 } } });
    expect(created).toEqual({ agent, version });
    expect(version).toMatchObject({ name: 'écho', system: 'line\nbreak', tools: definition.tools, metadata: definition.metadata });
  });
});

/** A connection of the test's own that holds `table` locked until released. */
async function lockTable(api: TestApi, table: string): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new Client({ connectionString: api.db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
  return {
    pid,
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/**
 * Sends a request whose statement waits for a lock on `table`, then terminates the API's connection
 * that runs it, as a PostgreSQL restart or failover would: the connection is lost mid-statement.
 */
async function withConnectionLost(api: TestApi, table: string, send: () => Promise<Reply>): Promise<Reply> {
  const lock = await lockTable(api, table);
  try {
    const reply = send();
    for (;;) {
      const waiting = await api.sql(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`, [lock.pid]);
      if (waiting.length > 0) {
        await api.sql('SELECT pg_terminate_backend($1)', [waiting[0].pid]);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return await reply;
  } finally {
    await lock.release();
  }
}

describe('the SQL paths when PostgreSQL fails them', () => {
  let api: TestApi;
  let sessionId: string;
  let freshToken: string;

  beforeAll(async () => {
    // One connection that the test can take, a short wait for it, and verified tokens cached so that a
    // request's own statement is what meets the busy pool.
    api = await startTestApi({ DATABASE_POOL_SIZE: '1', DATABASE_POOL_TIMEOUT_MS: '300', AUTH_CACHE_TTL_MS: '600000', RATE_LIMIT_REQUESTS: '0' });
    ({ sessionId } = await createSession(api));
  });
  afterAll(() => api.close());

  beforeEach(async () => {
    // A token the API has not verified yet: its request starts with the token lookup.
    freshToken = await api.newWorkspaceToken();
  });

  it('answers 503 overloaded_error with retry-after while no pooled connection frees up, then serves again', async () => {
    const pool = api.app.get<Pool>(PG_POOL);
    let held: PoolClient | undefined = await pool.connect();
    try {
      const replies = [
        await api.request('GET', `/sessions/${sessionId}`),
        await api.request('GET', '/sessions?limit=20'),
        await api.request('POST', '/agents', { body: demoAgent() }),
        await api.request('GET', '/agents', { token: freshToken }),
      ];
      for (const reply of replies) {
        expectError(reply, 503, 'overloaded_error');
        expect(reply.headers.get('retry-after')).toBe('1');
      }
      held.release();
      held = undefined;
      expect((await api.request('GET', `/sessions/${sessionId}`)).status).toBe(200);
      expect((await api.request('GET', '/sessions?limit=20')).status).toBe(200);
      expect((await api.request('POST', '/agents', { body: demoAgent() })).status).toBe(201);
      expect((await api.request('GET', '/agents', { token: freshToken })).status).toBe(200);
    } finally {
      held?.release();
    }
  });

  it('answers 503 overloaded_error when the connection is lost mid-statement, then serves again', async () => {
    const cases: [string, () => Promise<Reply>][] = [
      ['sessions', () => api.request('GET', `/sessions/${sessionId}`)],
      ['sessions', () => api.request('GET', '/sessions?limit=20')],
      ['agents', () => api.request('POST', '/agents', { body: demoAgent() })],
      ['api_tokens', () => api.request('GET', '/agents', { token: freshToken })],
    ];
    for (const [table, send] of cases) {
      const reply = await withConnectionLost(api, table, send);
      expectError(reply, 503, 'overloaded_error');
      expect(reply.headers.get('retry-after')).toBe('1');
      expect((await send()).status).toBeLessThan(300);
    }
  });
});
