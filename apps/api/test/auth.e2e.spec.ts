import { expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('authentication', () => {
  it('requires a bearer token on every API route', async () => {
    expectError(await api.request('GET', '/agents', { token: null }), 401, 'authentication_error');
    expectError(await api.request('GET', '/agents', { token: 'pt-not-a-real-token' }), 401, 'authentication_error');
    expectError(await api.request('GET', '/agents', { token: null, headers: { authorization: 'Basic abc' } }), 401, 'authentication_error');
  });

  it('refuses x-api-key even with a valid token in it', async () => {
    const reply = await api.request('GET', '/agents', { token: null, headers: { 'x-api-key': api.token } });
    expectError(reply, 401, 'authentication_error');
    expect(reply.body.error.message).toMatch(/x-api-key/);
  });

  it('stores only a hash of the token', async () => {
    const rows = await api.sql('SELECT token_hash, hint FROM api_tokens');
    expect(JSON.stringify(rows)).not.toContain(api.token);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });

  it('stops accepting a revoked token', async () => {
    const token = await api.newWorkspaceToken();
    expect((await api.request('GET', '/agents', { token })).status).toBe(200);
    const { TokensService } = await import('@stratus/nest-common');
    const [{ id }] = await api.sql("SELECT id FROM api_tokens WHERE hint = $1 AND revoked_at IS NULL", [token.slice(0, 7)]);
    await api.app.get(TokensService).revoke(id);
    expectError(await api.request('GET', '/agents', { token }), 401, 'authentication_error');
  });

  it('answers 403 when the token lacks the scope', async () => {
    const readOnly = await api.newWorkspaceToken(['read']);
    expect((await api.request('GET', '/agents', { token: readOnly })).status).toBe(200);
    expectError(await api.request('POST', '/agents', { token: readOnly, body: { name: 'a', model: 'stratus-demo' } }), 403, 'permission_error');
  });

  it('ensures the bootstrap token for the default workspace, idempotently', async () => {
    const { TokensService } = await import('@stratus/nest-common');
    const secret = 'pt-bootstrap-token-for-tests-0001';
    await api.app.get(TokensService).ensureBootstrapToken(secret);
    await api.app.get(TokensService).ensureBootstrapToken(secret);
    expect((await api.request('GET', '/agents', { token: secret })).status).toBe(200);
    const rows = await api.sql("SELECT workspace_id FROM api_tokens WHERE name = 'bootstrap'");
    expect(rows).toEqual([{ workspace_id: 'wksp_00000000000000000000000000000000' }]);
  });

  it('leaves health probes and the API reference public', async () => {
    expect((await api.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await api.request('GET', '/api/v1/cloud/openapi.json', { token: null })).status).toBe(200);
  });
});
