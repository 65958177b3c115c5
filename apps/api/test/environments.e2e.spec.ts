import { demoAgent, demoEnvironment, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('environments', () => {
  it('creates with a default config and reads it back', async () => {
    const created = await api.request('POST', '/environments', { body: { name: 'plain' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'environment',
      name: 'plain',
      description: '',
      config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: { apt: [], pip: [], npm: [] }, resources: { cpu: '1', memory: '2Gi' } },
      metadata: {},
      archived_at: null,
    });
    expect(created.body.id).toMatch(/^env_[0-9a-f]{32}$/);
    expect((await api.request('GET', `/environments/${created.body.id}`)).body).toEqual(created.body);
  });

  it.each([
    [{ type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com'] } }],
    [{ type: 'cloud', networking: { type: 'limited', allow_package_managers: true }, packages: { pip: ['requests==2.32.3'], npm: ['left-pad'] } }],
    [{ type: 'cloud', networking: { type: 'none' }, image: 'python:3.12-slim', resources: { cpu: '500m', memory: '512Mi' }, setup_script: 'echo hi' }],
  ])('accepts config %j', async (config) => {
    const reply = await api.request('POST', '/environments', { body: demoEnvironment({ config }) });
    expect(reply.status).toBe(201);
    expect(reply.body.config).toMatchObject(config);
  });

  it.each([
    [{ config: { type: 'self_hosted' } }, 'config.type'],
    [{ config: { type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts: [] } } }, 'config.networking.allowed_hosts'],
    [{ config: { type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts: ['http://x'] } } }, 'config.networking.allowed_hosts.0'],
    [{ config: { type: 'cloud', networking: { type: 'open' } } }, 'config.networking.type'],
    [{ config: { type: 'cloud', resources: { cpu: 'lots' } } }, 'config.resources.cpu'],
    [{ config: { type: 'cloud', packages: { apt: ['; rm -rf /'] } } }, 'config.packages.apt.0'],
    [{ name: 42 }, 'name'],
  ])('rejects %j naming %s', async (overrides, param) => {
    expectError(await api.request('POST', '/environments', { body: demoEnvironment(overrides) }), 400, 'invalid_request_error', param);
  });

  it('keeps names unique per workspace, on create and on rename', async () => {
    await api.request('POST', '/environments', { body: { name: 'unique-1' } });
    expectError(await api.request('POST', '/environments', { body: { name: 'unique-1' } }), 409, 'conflict_error', 'name');
    const other = await api.request('POST', '/environments', { body: { name: 'unique-2' } });
    expectError(await api.request('POST', `/environments/${other.body.id}`, { body: { name: 'unique-1' } }), 409, 'conflict_error', 'name');
    // Another workspace may use the same name.
    const otherToken = await api.newWorkspaceToken();
    expect((await api.request('POST', '/environments', { token: otherToken, body: { name: 'unique-1' } })).status).toBe(201);
  });

  it('updates fields', async () => {
    const { body: env } = await api.request('POST', '/environments', { body: demoEnvironment() });
    const updated = await api.request('POST', `/environments/${env.id}`, { body: { description: 'new', config: { type: 'cloud', networking: { type: 'none' } } } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: 'new', config: { networking: { type: 'none' } }, name: env.name });
  });

  it('refuses to delete while a non-archived session uses it, then deletes', async () => {
    const { body: env } = await api.request('POST', '/environments', { body: demoEnvironment() });
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    const { body: session } = await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: env.id } });
    expectError(await api.request('DELETE', `/environments/${env.id}`), 409, 'conflict_error');
    expect((await api.request('POST', `/sessions/${session.id}/archive`)).status).toBe(200);
    const deleted = await api.request('DELETE', `/environments/${env.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: env.id, type: 'environment_deleted' });
    expectError(await api.request('GET', `/environments/${env.id}`), 404, 'not_found_error');
    // The archived session keeps naming the environment it ran in.
    expect((await api.request('GET', `/sessions/${session.id}`)).body.environment_id).toBe(env.id);
  });

  it('archives: readable, hidden from the default list, cannot back new sessions', async () => {
    const { body: env } = await api.request('POST', '/environments', { body: demoEnvironment() });
    const archived = await api.request('POST', `/environments/${env.id}/archive`);
    expect(archived.body.archived_at).not.toBeNull();
    const list = await api.request('GET', '/environments?limit=100');
    expect(list.body.data.map((e: any) => e.id)).not.toContain(env.id);
    const { body: agent } = await api.request('POST', '/agents', { body: demoAgent() });
    expectError(await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: env.id } }), 409, 'conflict_error', 'environment_id');
  });
});
