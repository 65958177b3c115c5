import { Client } from 'pg';
import { createSession, expectError, type Reply, startTestApi, type TestApi } from './harness';

/**
 * Holds a session's row lock from outside the API: a send to that session then stays inside its
 * transaction, holding a pooled connection, until the lock is released.
 */
async function lockSession(api: TestApi, sessionId: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: api.db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [sessionId]);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

/** Resolves once `count` of the API's connections wait for a row lock. */
async function connectionsWaitingForLock(api: TestApi, count: number): Promise<void> {
  for (;;) {
    const [{ waiting }] = await api.sql(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if (waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const message = (text: string) => ({ body: { events: [{ type: 'user.message', content: text }] } });

describe('back-pressure: a busy database pool', () => {
  let api: TestApi;
  beforeAll(async () => {
    // Two connections, and verified tokens cached so that only the requests' own work needs the pool.
    api = await startTestApi({ DATABASE_POOL_SIZE: '2', AUTH_CACHE_TTL_MS: '60000' });
  });
  afterAll(() => api.close());

  it('makes a burst of creates and sends wait for a connection instead of answering 5xx', async () => {
    const { agentId, environmentId, sessionId } = await createSession(api);
    const lock = await lockSession(api, sessionId);
    const sends: Promise<Reply>[] = [];
    const creates: Promise<Reply>[] = [];
    let released = false;
    try {
      // A send to the locked session holds one connection inside its transaction; the burst's first reads
      // share the other one, then their transactions line up for a connection while the next send holds it.
      sends.push(api.request('POST', `/sessions/${sessionId}/events`, message('m0')));
      await connectionsWaitingForLock(api, 1);
      for (let i = 1; i < 6; i++) sends.push(api.request('POST', `/sessions/${sessionId}/events`, message(`m${i}`)));
      for (let i = 0; i < 4; i++) creates.push(api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } }));
      await connectionsWaitingForLock(api, 2);
      // Longer than Prisma waited for a connection by default (2 s), after which these requests answered 503.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await lock.release();
      released = true;
      const statuses = [...(await Promise.all(sends)).map((r) => r.status), ...(await Promise.all(creates)).map((r) => r.status)];
      expect(statuses).toEqual([...Array(6).fill(202), ...Array(4).fill(201)]);
      const stored = await api.sql(`SELECT count(*)::int AS n FROM events WHERE session_id = $1 AND type = 'user.message'`, [sessionId]);
      expect(stored[0].n).toBe(6);
    } finally {
      if (!released) await lock.release();
      await Promise.allSettled([...sends, ...creates]);
    }
  });
});

describe('back-pressure: overload answered at the edge', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ STRATUS_API_MAX_IN_FLIGHT: '1', STRATUS_API_QUEUE_TIMEOUT_MS: '200' });
  });
  afterAll(() => api.close());

  it('refuses what it cannot take with 503 and retry-after before storing anything, and loses nothing it accepted', async () => {
    const busy = await createSession(api);
    const other = await createSession(api);
    const lock = await lockSession(api, busy.sessionId);
    let accepted: Promise<Reply> | undefined;
    try {
      // The one slot is taken by a send that is inside its transaction.
      accepted = api.request('POST', `/sessions/${busy.sessionId}/events`, message('first'));
      await connectionsWaitingForLock(api, 1);

      const refused = await api.request('POST', `/sessions/${other.sessionId}/events`, message('refused'));
      expectError(refused, 503, 'overloaded_error');
      expect(refused.headers.get('retry-after')).toBe('1');
      const created = await api.request('POST', '/sessions', { body: { agent: other.agentId, environment_id: other.environmentId } });
      expectError(created, 503, 'overloaded_error');
      // Probes are not API work: they answer while the API is full.
      expect((await api.request('GET', '/healthz')).status).toBe(200);
    } finally {
      await lock.release();
    }
    // The accepted send completes, and the refused ones left no trace.
    expect((await accepted).status).toBe(202);
    const counts = await api.sql(`SELECT session_id, count(*)::int AS n FROM events WHERE session_id = ANY($1) GROUP BY session_id`, [[busy.sessionId, other.sessionId]]);
    expect(counts).toEqual([{ session_id: busy.sessionId, n: 1 }]);
    const sessions = await api.sql(`SELECT count(*)::int AS n FROM sessions WHERE agent_id = $1`, [other.agentId]);
    expect(sessions[0].n).toBe(1);

    // Once the slot is free, the client's retry goes through.
    const retried = await api.request('POST', `/sessions/${other.sessionId}/events`, message('refused'));
    expect(retried.status).toBe(202);
  });
});
