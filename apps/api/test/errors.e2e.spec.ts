import { startTcpProxy } from '@stratus/testing';
import { demoAgent, expectError, startTestApi, type Reply, type TestApi } from './harness';

describe('transport and errors', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ BODY_LIMIT_BYTES: '4096', RATE_LIMIT_REQUESTS: '1000' });
  });
  afterAll(() => api.close());

  it('puts a request-id on every response, errors included', async () => {
    const ok = await api.request('GET', '/agents');
    expect(ok.headers.get('request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const bad = await api.request('GET', '/agents/x', { token: null });
    expect(bad.body.request_id).toBe(bad.headers.get('request-id'));
  });

  it('answers 413 over the body limit, storing nothing', async () => {
    const reply = await api.request('POST', '/agents', { body: demoAgent({ system: 'x'.repeat(5000) }) });
    expectError(reply, 413, 'request_too_large');
    expect((await api.request('GET', '/agents')).body.data).toEqual([]);
  });

  it('answers 400 for malformed JSON and for a body that is not an object', async () => {
    expectError(await api.request('POST', '/agents', { raw: '{"name": ', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request_error');
    expectError(await api.request('POST', '/agents', { raw: '"just a string"', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request_error');
    expectError(await api.request('POST', '/agents', { raw: '', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request_error');
  });

  it('assumes JSON whatever the content type says', async () => {
    const plain = await api.request('POST', '/agents', { raw: JSON.stringify(demoAgent()), headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(201);
    const none = await api.request('POST', '/agents', { raw: JSON.stringify(demoAgent()) });
    expect(none.status).toBe(201);
  });

  it('accepts a body-less POST with a JSON content type', async () => {
    const agent = (await api.request('POST', '/agents', { body: demoAgent() })).body;
    const reply = await api.request('POST', `/agents/${agent.id}/archive`, { headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(200);
  });

  it('answers unknown routes with a 404 envelope and wrong methods with 405', async () => {
    expectError(await api.request('GET', '/nothing-here'), 404, 'not_found_error');
    expectError(await api.request('PUT', '/agents'), 405, 'invalid_request_error');
    expectError(await api.request('GET', '/totally/elsewhere', { token: null }), 404, 'not_found_error');
  });

  it('lists the configured models', async () => {
    const reply = await api.request('GET', '/models');
    expect(reply.body.data).toContainEqual({ id: 'stratus-demo', type: 'model', display_name: expect.stringContaining('not an LLM'), provider: 'stratus' });
  });
});

describe('rate limit', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ RATE_LIMIT_REQUESTS: '5', RATE_LIMIT_WINDOW_SECONDS: '60' });
  });
  afterAll(() => api.close());

  it('answers 429 with retry-after once a token spends its budget, per token', async () => {
    const statuses: number[] = [];
    let limited: Reply | undefined;
    for (let i = 0; i < 7; i++) {
      const reply = await api.request('GET', '/agents');
      statuses.push(reply.status);
      if (reply.status === 429) limited = reply;
    }
    // The harness's own setup spent none of the budget: tokens are issued in-process.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expectError(limited!, 429, 'rate_limit_error');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const other = await api.newWorkspaceToken();
    expect((await api.request('GET', '/agents', { token: other })).status).toBe(200);
  });
});

describe('dependencies down', () => {
  it('serves what needs no Redis while Redis is unreachable, and readiness says why', async () => {
    const api = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      // The rate limit falls back to a per-process budget rather than answering 503 to every request.
      expect((await api.request('GET', '/agents')).status).toBe(200);
      const agent = await api.request('POST', '/agents', { body: demoAgent() });
      expect(agent.status).toBe(201);
      // Enqueues cannot reach Redis: they give up (the worker's recovery sweep picks the session up
      // once Redis is back) instead of holding the request forever.
      const environment = await api.request('POST', '/environments', { body: { name: 'no-redis' } });
      const session = await api.request('POST', '/sessions', { body: { agent: agent.body.id, environment_id: environment.body.id } });
      expect(session.status).toBe(201);
      const sent = await api.request('POST', `/sessions/${session.body.id}/events`, { body: { events: [{ type: 'user.message', content: 'hello' }] } });
      expect(sent.status).toBe(202);
      const ready = await api.request('GET', '/readyz', { token: null });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ postgres: 'ok', redis: 'unreachable' });
    } finally {
      await api.close();
    }
  });

  it('answers 503 when PostgreSQL becomes unreachable, and recovers', async () => {
    const proxy = await startTcpProxy(5432);
    const api = await startTestApi({ RATE_LIMIT_REQUESTS: '0' }, { postgresPort: proxy.port });
    try {
      expect((await api.request('GET', '/agents')).status).toBe(200);
      await proxy.cut();
      expectError(await api.request('GET', '/agents'), 503, 'overloaded_error');
      expectError(await api.request('POST', '/agents', { body: demoAgent() }), 503, 'overloaded_error');
      await proxy.restore();
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) status = (await api.request('GET', '/agents')).status;
      expect(status).toBe(200);
    } finally {
      await api.close();
      await proxy.close();
    }
  });
});

describe('health', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('reports liveness and readiness', async () => {
    expect((await api.request('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    expect((await api.request('GET', '/readyz', { token: null })).body).toEqual({ status: 'ok', postgres: 'ok', redis: 'ok' });
  });
});
