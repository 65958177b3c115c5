import { demoAgent, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('agents', () => {
  it('creates an agent with defaults and reads it back', async () => {
    const created = await api.request('POST', '/agents', { body: demoAgent({ tools: [{ type: 'agent_toolset_20260401' }] }) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'agent',
      name: 'helper',
      model: 'stratus-demo',
      description: '',
      system: 'Be brief.',
      tools: [{ type: 'agent_toolset_20260401', enabled_tools: [], permission_policy: 'always_allow' }],
      mcp_servers: [],
      metadata: {},
      version: 1,
      archived_at: null,
    });
    expect(created.body.id).toMatch(/^agent_[0-9a-f]{32}$/);
    const read = await api.request('GET', `/agents/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('accepts the model as {id} and every tool kind', async () => {
    const created = await api.request('POST', '/agents', {
      body: {
        name: 'full',
        model: { id: 'stratus-demo' },
        tools: [
          { type: 'agent_toolset_20260401', enabled_tools: ['Bash', 'Read'], permission_policy: 'always_ask' },
          { type: 'custom', name: 'lookup', description: 'Looks up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } },
          { type: 'mcp_toolset', mcp_server_name: 'weather' },
        ],
        mcp_servers: [{ type: 'url', name: 'weather', url: 'https://mcp.example.com/mcp' }],
        metadata: { team: 'a' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.model).toBe('stratus-demo');
    expect(created.body.tools).toHaveLength(3);
  });

  const invalid: [Record<string, unknown>, string][] = [
    [{ model: 'no-such-model' }, 'model'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(257) }, 'name'],
    [{ description: 'x'.repeat(2049) }, 'description'],
    [{ tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Teleport'] }] }, 'tools.0.enabled_tools.0'],
    [{ tools: [{ type: 'nope' }] }, 'tools.0.type'],
    [{ tools: [{ type: 'mcp_toolset', mcp_server_name: 'missing' }] }, 'tools.0.mcp_server_name'],
    [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
    [{ metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
    [{ unknown_field: 1 }, 'unknown_field'],
    [{ mcp_servers: [{ type: 'url', name: 'a', url: 'not a url' }] }, 'mcp_servers.0.url'],
  ];
  it.each(invalid.map(([overrides, param]) => [param, overrides] as const))('rejects a bad %s with a 400 naming it, storing nothing', async (param, overrides) => {
    const before = await api.request('GET', '/agents?limit=100&include_archived=true');
    const reply = await api.request('POST', '/agents', { body: demoAgent(overrides) });
    expectError(reply, 400, 'invalid_request_error', param);
    const after = await api.request('GET', '/agents?limit=100&include_archived=true');
    expect(after.body.data.length).toBe(before.body.data.length);
  });

  it('versions on update, keeps old versions readable, and lists versions', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const v2 = await api.request('POST', `/agents/${agent.id}`, { body: { version: 1, system: 'Be thorough.' } });
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ version: 2, system: 'Be thorough.', name: 'helper' });
    const same = await api.request('POST', `/agents/${agent.id}`, { body: { system: 'Be thorough.' } });
    expect(same.body.version).toBe(2);
    const v1 = await api.request('GET', `/agents/${agent.id}?version=1`);
    expect(v1.body).toMatchObject({ version: 1, system: 'Be brief.' });
    expect((await api.request('GET', `/agents/${agent.id}`)).body.version).toBe(2);
    const versions = await api.request('GET', `/agents/${agent.id}/versions`);
    expect(versions.body.data.map((a: any) => a.version)).toEqual([2, 1]);
    expectError(await api.request('GET', `/agents/${agent.id}?version=9`), 404, 'not_found_error', 'version');
    expectError(await api.request('GET', `/agents/${agent.id}?version=zero`), 400, 'invalid_request_error', 'version');
  });

  it('answers 409 when the update names a version that is not the current one', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    await api.request('POST', `/agents/${agent.id}`, { body: { version: 1, name: 'renamed' } });
    const stale = await api.request('POST', `/agents/${agent.id}`, { body: { version: 1, name: 'lost update' } });
    expectError(stale, 409, 'conflict_error', 'version');
    expect((await api.request('GET', `/agents/${agent.id}`)).body.name).toBe('renamed');
  });

  it('lets exactly one of two concurrent updates of the same version win', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const replies = await Promise.all(['a', 'b', 'c'].map((name) => api.request('POST', `/agents/${agent.id}`, { body: { version: 1, name } })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const versions = await api.request('GET', `/agents/${agent.id}/versions`);
    expect(versions.body.data.map((a: any) => a.version)).toEqual([2, 1]);
  });

  it('archives: still readable, hidden from the default list, not updatable', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const archived = await api.request('POST', `/agents/${agent.id}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body.archived_at).not.toBeNull();
    expect((await api.request('GET', `/agents/${agent.id}`)).body.archived_at).toBe(archived.body.archived_at);
    const listed = await api.request('GET', '/agents?limit=100');
    expect(listed.body.data.map((a: any) => a.id)).not.toContain(agent.id);
    const all = await api.request('GET', '/agents?limit=100&include_archived=true');
    expect(all.body.data.map((a: any) => a.id)).toContain(agent.id);
    expectError(await api.request('POST', `/agents/${agent.id}`, { body: { name: 'x' } }), 409, 'conflict_error');
  });

  it('has no DELETE route: 405 with the methods the path answers', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const reply = await api.request('DELETE', `/agents/${agent.id}`);
    expectError(reply, 405, 'invalid_request_error');
    expect(reply.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await api.request('GET', `/agents/${agent.id}`)).status).toBe(200);
  });

  it('filters the list by created_at', async () => {
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const later = new Date(Date.parse(agent.created_at) + 1).toISOString();
    const since = await api.request('GET', `/agents?created_at[gte]=${agent.created_at}`);
    expect(since.body.data.map((a: any) => a.id)).toContain(agent.id);
    const after = await api.request('GET', `/agents?created_at[gte]=${later}`);
    expect(after.body.data.map((a: any) => a.id)).not.toContain(agent.id);
    expectError(await api.request('GET', '/agents?created_at[gte]=yesterday'), 400, 'invalid_request_error', 'created_at[gte]');
  });

  it('answers 404 for unknown ids', async () => {
    expectError(await api.request('GET', '/agents/agent_0123456789abcdef0123456789abcdef'), 404, 'not_found_error');
    expectError(await api.request('POST', '/agents/whatever/archive'), 404, 'not_found_error');
  });
});
