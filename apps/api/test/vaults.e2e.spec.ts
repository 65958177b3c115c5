import { SecretBox } from '@stratus/db';
import { createSession, demoAgent, demoEnvironment, expectError, startTestApi, type TestApi } from './harness';

const KEY = 'vaults-test-encryption-key-0123456789abcdef';
const TOKEN = 'mcp-secret-token-3f9a1c7e5b';
const staticBearer = (overrides: Record<string, unknown> = {}) => ({
  display_name: 'weather',
  auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: 'https://mcp.example.com/mcp' },
  ...overrides,
});

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ STRATUS_ENCRYPTION_KEY: KEY });
});
afterAll(() => api.close());

describe('vaults', () => {
  it('creates, gets, lists (paginated), updates, archives and deletes a vault', async () => {
    const created = await api.request('POST', '/vaults', { body: { display_name: 'team', metadata: { owner: 'a' } } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^vlt_[0-9a-f]{32}$/),
      type: 'vault',
      display_name: 'team',
      metadata: { owner: 'a' },
      archived_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id = created.body.id;
    expect((await api.request('GET', `/vaults/${id}`)).body).toEqual(created.body);
    const second = (await api.request('POST', '/vaults', { body: { display_name: 'second' } })).body.id;

    const first = await api.request('GET', '/vaults?limit=1');
    expect(first.body).toMatchObject({ data: [{ id: second }], has_more: true });
    const next = await api.request('GET', `/vaults?page=${first.body.next_page}`);
    expect(next.body.data.map((v: any) => v.id)).toContain(id);

    expect((await api.request('POST', `/vaults/${id}`, { body: { display_name: 'renamed' } })).body.display_name).toBe('renamed');
    const archived = await api.request('POST', `/vaults/${second}/archive`);
    expect(archived.body.archived_at).toEqual(expect.any(String));
    expect((await api.request('GET', '/vaults')).body.data.map((v: any) => v.id)).not.toContain(second);
    expect((await api.request('GET', '/vaults?include_archived=true')).body.data.map((v: any) => v.id)).toContain(second);

    expect((await api.request('DELETE', `/vaults/${second}`)).body).toEqual({ id: second, type: 'vault_deleted' });
    expectError(await api.request('GET', `/vaults/${second}`), 404, 'not_found_error');
  });

  it('keeps a credential’s token write-only and encrypted at rest', async () => {
    const vault = (await api.request('POST', '/vaults', { body: { display_name: 'creds' } })).body.id;
    const created = await api.request('POST', `/vaults/${vault}/credentials`, { body: staticBearer() });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^vcrd_[0-9a-f]{32}$/),
      type: 'vault_credential',
      vault_id: vault,
      display_name: 'weather',
      auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp' },
      metadata: {},
      archived_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id = created.body.id;
    const replies = [
      created,
      await api.request('GET', `/vaults/${vault}/credentials/${id}`),
      await api.request('GET', `/vaults/${vault}/credentials`),
      await api.request('POST', `/vaults/${vault}/credentials/${id}`, { body: { display_name: 'renamed' } }),
      await api.request('POST', `/vaults/${vault}/credentials/${id}/archive`),
      await api.request('GET', `/vaults/${vault}/credentials?include_archived=true`),
    ];
    for (const reply of replies) {
      expect(reply.status).toBeLessThan(300);
      expect(JSON.stringify(reply.body)).not.toContain(TOKEN);
    }
    expect(replies[5]!.body.data.map((c: any) => [c.id, c.display_name])).toEqual([[id, 'renamed']]);

    const [row] = await api.sql('SELECT secret, mcp_server_url FROM vault_credentials WHERE id = $1', [id]);
    expect(Buffer.from(row.secret).toString('latin1')).not.toContain(TOKEN);
    expect(new SecretBox(KEY).open(row.secret)).toEqual({ token: TOKEN });

    expect((await api.request('DELETE', `/vaults/${vault}/credentials/${id}`)).body).toEqual({ id, type: 'vault_credential_deleted' });
    expectError(await api.request('GET', `/vaults/${vault}/credentials/${id}`), 404, 'not_found_error');
    expect(await api.sql('SELECT id FROM vault_credentials WHERE id = $1', [id])).toEqual([]);
  });

  it('deletes a vault’s credentials with it', async () => {
    const vault = (await api.request('POST', '/vaults', { body: { display_name: 'gone' } })).body.id;
    await api.request('POST', `/vaults/${vault}/credentials`, { body: staticBearer() });
    await api.request('DELETE', `/vaults/${vault}`);
    expect(await api.sql('SELECT id FROM vault_credentials WHERE vault_id = $1', [vault])).toEqual([]);
  });

  it('rejects bad input with a 400 naming the field, and stores nothing', async () => {
    const vault = (await api.request('POST', '/vaults', { body: { display_name: 'strict' } })).body.id;
    const [before] = await api.sql('SELECT (SELECT count(*) FROM vaults) v, (SELECT count(*) FROM vault_credentials) c');
    const cases: [string, unknown, string][] = [
      ['/vaults', {}, 'display_name'],
      ['/vaults', { display_name: '' }, 'display_name'],
      ['/vaults', { display_name: 'x', secret: 'y' }, ''],
      [`/vaults/${vault}/credentials`, { display_name: 'x' }, 'auth'],
      [`/vaults/${vault}/credentials`, staticBearer({ auth: { type: 'static_bearer', mcp_server_url: 'https://a.example.com' } }), 'auth.token'],
      [`/vaults/${vault}/credentials`, staticBearer({ auth: { type: 'static_bearer', token: 't', mcp_server_url: 'ftp://a.example.com' } }), 'auth.mcp_server_url'],
      [`/vaults/${vault}/credentials`, staticBearer({ auth: { type: 'password', token: 't', mcp_server_url: 'https://a.example.com' } }), 'auth.type'],
    ];
    for (const [path, body, param] of cases) {
      const reply = await api.request('POST', path, { body });
      expectError(reply, 400, 'invalid_request_error');
      if (param) expect([path, reply.body.error.param]).toEqual([path, param]);
    }
    expectError(await api.request('GET', '/vaults?limit=0'), 400, 'invalid_request_error', 'limit');
    expectError(await api.request('POST', '/vaults/vlt_0123456789abcdef0123456789abcdef/credentials', { body: staticBearer() }), 404, 'not_found_error');
    const [after] = await api.sql('SELECT (SELECT count(*) FROM vaults) v, (SELECT count(*) FROM vault_credentials) c');
    expect(after).toEqual(before);
  });

  it('refuses a credential in an archived vault', async () => {
    const vault = (await api.request('POST', '/vaults', { body: { display_name: 'closed' } })).body.id;
    await api.request('POST', `/vaults/${vault}/archive`);
    expectError(await api.request('POST', `/vaults/${vault}/credentials`, { body: staticBearer() }), 409, 'conflict_error');
  });
});

describe('sessions with vault_ids', () => {
  it('stores and returns the vaults named at create', async () => {
    const vault = (await api.request('POST', '/vaults', { body: { display_name: 'for-session' } })).body.id;
    const agent = (await api.request('POST', '/agents', { body: demoAgent() })).body.id;
    const environment = (await api.request('POST', '/environments', { body: demoEnvironment() })).body.id;
    const created = await api.request('POST', '/sessions', { body: { agent, environment_id: environment, vault_ids: [vault] } });
    expect(created.status).toBe(201);
    expect(created.body.vault_ids).toEqual([vault]);
    expect((await api.request('GET', `/sessions/${created.body.id}`)).body.vault_ids).toEqual([vault]);
    expect((await createSession(api)).sessionId).toBeDefined();
  });

  it('refuses unknown, malformed or archived vaults and creates no session', async () => {
    const agent = (await api.request('POST', '/agents', { body: demoAgent() })).body.id;
    const environment = (await api.request('POST', '/environments', { body: demoEnvironment() })).body.id;
    const archived = (await api.request('POST', '/vaults', { body: { display_name: 'old' } })).body.id;
    await api.request('POST', `/vaults/${archived}/archive`);
    const [before] = await api.sql('SELECT count(*) n FROM sessions');
    expectError(await api.request('POST', '/sessions', { body: { agent, environment_id: environment, vault_ids: ['nope'] } }), 400, 'invalid_request_error', 'vault_ids.0');
    expectError(await api.request('POST', '/sessions', { body: { agent, environment_id: environment, vault_ids: 'vlt_x' } }), 400, 'invalid_request_error', 'vault_ids');
    expectError(
      await api.request('POST', '/sessions', { body: { agent, environment_id: environment, vault_ids: ['vlt_0123456789abcdef0123456789abcdef'] } }),
      404,
      'not_found_error',
      'vault_ids.0',
    );
    expectError(await api.request('POST', '/sessions', { body: { agent, environment_id: environment, vault_ids: [archived] } }), 409, 'conflict_error', 'vault_ids.0');
    expect(await api.sql('SELECT count(*) n FROM sessions')).toEqual([before]);
  });

  it('does not let vault_ids change after create', async () => {
    const { sessionId } = await createSession(api);
    expectError(await api.request('POST', `/sessions/${sessionId}`, { body: { vault_ids: [] } }), 400, 'invalid_request_error');
  });
});
