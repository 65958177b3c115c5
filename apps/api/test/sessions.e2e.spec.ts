import { demoAgent, demoEnvironment, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
let agentId: string;
let environmentId: string;
beforeAll(async () => {
  api = await startTestApi();
  agentId = (await api.request('POST', '/agents', { body: demoAgent() })).body.id;
  environmentId = (await api.request('POST', '/environments', { body: demoEnvironment() })).body.id;
});
afterAll(() => api.close());

describe('sessions', () => {
  it('creates an idle session with the full agent snapshot', async () => {
    const created = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, title: 'first', metadata: { a: 'b' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'session',
      agent_id: agentId,
      environment_id: environmentId,
      status: 'idle',
      title: 'first',
      metadata: { a: 'b' },
      usage: { input_tokens: 0, output_tokens: 0 },
      stats: { turns: 0, active_seconds: 0 },
      archived_at: null,
      agent: { id: agentId, type: 'agent', version: 1, model: 'stratus-demo' },
    });
    expect(created.body.id).toMatch(/^sess_[0-9a-f]{32}$/);
    expect((await api.request('GET', `/sessions/${created.body.id}`)).body.id).toBe(created.body.id);
  });

  it('binds the latest version for an id and a pinned version for {id, version}', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    await api.request('POST', `/agents/${agent.id}`, { body: { system: 'v2' } });
    const latest = await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } });
    expect(latest.body.agent).toMatchObject({ version: 2, system: 'v2' });
    const pinned = await api.request('POST', '/sessions', { body: { agent: { type: 'agent', id: agent.id, version: 1 }, environment_id: environmentId } });
    expect(pinned.body.agent).toMatchObject({ version: 1, system: 'Be brief.' });
    await api.request('POST', `/agents/${agent.id}`, { body: { system: 'v3' } });
    expect((await api.request('GET', `/sessions/${pinned.body.id}`)).body.agent.version).toBe(1);
    expect((await api.request('GET', `/sessions/${latest.body.id}`)).body.agent.version).toBe(2);
    expectError(await api.request('POST', '/sessions', { body: { agent: { id: agent.id, version: 7 }, environment_id: environmentId } }), 404, 'not_found_error', 'agent.version');
  });

  it('never returns environment variables, and stores them encrypted', async () => {
    const created = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, environment_variables: { API_TOKEN: 'secret-value-123' } } });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('secret-value-123');
    expect(JSON.stringify((await api.request('GET', `/sessions/${created.body.id}`)).body)).not.toContain('secret-value-123');
    const rows = await api.sql('SELECT environment_variables FROM sessions WHERE id = $1', [created.body.id]);
    expect(rows[0].environment_variables).toBeInstanceOf(Buffer);
    expect(rows[0].environment_variables.toString('latin1')).not.toContain('secret-value-123');
  });

  it('stores initial_events as user.message events in order', async () => {
    const created = await api.request('POST', '/sessions', {
      body: { agent: agentId, environment_id: environmentId, initial_events: [{ type: 'user.message', content: 'one' }, { type: 'user.message', content: [{ type: 'text', text: 'two' }] }] },
    });
    const events = await api.request('GET', `/sessions/${created.body.id}/events`);
    expect(events.body.data.map((e: any) => [e.type, e.content[0].text])).toEqual([
      ['user.message', 'one'],
      ['user.message', 'two'],
    ]);
  });

  it.each([
    [{ agent: 'agent_0123456789abcdef0123456789abcdef' }, 404, 'not_found_error', 'agent'],
    [{ environment_id: 'env_0123456789abcdef0123456789abcdef' }, 404, 'not_found_error', 'environment_id'],
    [{ environment_variables: { 'BAD-NAME': 'x' } }, 400, 'invalid_request_error', 'environment_variables.BAD-NAME'],
    [{ initial_events: [{ type: 'user.interrupt' }] }, 400, 'invalid_request_error', 'initial_events.0.type'],
    [{ title: 7 }, 400, 'invalid_request_error', 'title'],
    [{ agent: { version: 1 } }, 400, 'invalid_request_error', 'agent.id'],
  ])('rejects %j', async (overrides, status, type, param) => {
    expectError(await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, ...overrides } }), status, type, param);
  });

  it('refuses an archived agent with 409', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    await api.request('POST', `/agents/${agent.id}/archive`);
    expectError(await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } }), 409, 'conflict_error', 'agent');
  });

  it('updates title and metadata only', async () => {
    const { body: session } = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } });
    const updated = await api.request('POST', `/sessions/${session.id}`, { body: { title: 'renamed', metadata: { k: 'v' } } });
    expect(updated.body).toMatchObject({ title: 'renamed', metadata: { k: 'v' } });
    expectError(await api.request('POST', `/sessions/${session.id}`, { body: { status: 'processing' } }), 400, 'invalid_request_error', 'status');
  });

  it('filters the list by agent, status and archive state', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const a = (await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } })).body;
    const b = (await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } })).body;
    await api.request('POST', `/sessions/${b.id}/archive`);
    const byAgent = await api.request('GET', `/sessions?agent_id=${agent.id}`);
    expect(byAgent.body.data.map((s: any) => s.id)).toEqual([a.id]);
    const withArchived = await api.request('GET', `/sessions?agent_id=${agent.id}&include_archived=true`);
    expect(withArchived.body.data.map((s: any) => s.id)).toEqual([b.id, a.id]);
    const idle = await api.request('GET', `/sessions?agent_id=${agent.id}&statuses[]=idle&statuses[]=processing`);
    expect(idle.body.data.map((s: any) => s.id)).toEqual([a.id]);
    const processing = await api.request('GET', `/sessions?agent_id=${agent.id}&statuses[]=processing`);
    expect(processing.body.data).toEqual([]);
    expectError(await api.request('GET', '/sessions?statuses[]=sleeping'), 400, 'invalid_request_error', 'statuses[]');
    expectError(await api.request('GET', '/sessions?include_archived=maybe'), 400, 'invalid_request_error', 'include_archived');
  });

  it('archives: history readable, new messages refused', async () => {
    const { body: session } = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, initial_events: [{ type: 'user.message', content: 'hi' }] } });
    expect(session.status).toBe('processing');
    // No worker runs in these tests: end the turn the initial event started as a worker would.
    await api.sql(`UPDATE sessions SET status = 'idle' WHERE id = $1`, [session.id]);
    const archived = await api.request('POST', `/sessions/${session.id}/archive`);
    expect(archived.body.archived_at).not.toBeNull();
    expect((await api.request('GET', `/sessions/${session.id}/events`)).body.data).toHaveLength(1);
    expectError(await api.request('POST', `/sessions/${session.id}/events`, { body: { events: [{ type: 'user.message', content: 'more' }] } }), 409, 'conflict_error');
    expect((await api.request('GET', `/sessions/${session.id}/events`)).body.data).toHaveLength(1);
  });

  it('cancel is a 200 no-op on an idle session', async () => {
    const { body: session } = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } });
    const reply = await api.request('POST', `/sessions/${session.id}/cancel`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: session.id, type: 'session', status: 'idle' });
  });

  it('cancel of a processing session answers 202 canceling', async () => {
    const { body: session } = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } });
    await api.sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [session.id]);
    const reply = await api.request('POST', `/sessions/${session.id}/cancel`);
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ id: session.id, type: 'session', status: 'canceling' });
    expect((await api.request('GET', `/sessions/${session.id}`)).body.status).toBe('canceling');
    expectError(await api.request('POST', `/sessions/${session.id}/archive`), 409, 'conflict_error');
  });

  it('deletes the session and its events', async () => {
    const { body: session } = await api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, initial_events: [{ type: 'user.message', content: 'hi' }] } });
    const deleted = await api.request('DELETE', `/sessions/${session.id}`);
    expect(deleted.body).toEqual({ id: session.id, type: 'session_deleted' });
    expectError(await api.request('GET', `/sessions/${session.id}`), 404, 'not_found_error');
    expectError(await api.request('GET', `/sessions/${session.id}/events`), 404, 'not_found_error');
    const rows = await api.sql('SELECT count(*)::int AS n FROM events WHERE session_id = $1', [session.id]);
    expect(rows[0].n).toBe(0);
  });
});
