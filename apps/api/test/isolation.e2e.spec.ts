import { createSession, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
let mine: { agentId: string; environmentId: string; sessionId: string; webhookId: string; vaultId: string; credentialId: string };
let intruder: string;
beforeAll(async () => {
  api = await startTestApi();
  const webhook = await api.request('POST', '/webhooks', { body: { url: 'https://hooks.example.com/stratus', event_types: ['*'] } });
  const vaultId = (await api.request('POST', '/vaults', { body: { display_name: 'mine' } })).body.id;
  const credential = await api.request('POST', `/vaults/${vaultId}/credentials`, {
    body: { display_name: 'c', auth: { type: 'static_bearer', token: 'secret-token', mcp_server_url: 'https://mcp.example.com/mcp' } },
  });
  mine = { ...(await createSession(api)), webhookId: webhook.body.id, vaultId, credentialId: credential.body.id };
  await api.request('POST', `/sessions/${mine.sessionId}/events`, { body: { events: [{ type: 'user.message', content: 'private' }] } });
  intruder = await api.newWorkspaceToken();
});
afterAll(() => api.close());

describe('workspace isolation', () => {
  const routes = (): [string, string, unknown?][] => [
    ['GET', `/agents/${mine.agentId}`],
    ['GET', `/agents/${mine.agentId}?version=1`],
    ['POST', `/agents/${mine.agentId}`, { name: 'stolen' }],
    ['POST', `/agents/${mine.agentId}/archive`],
    ['GET', `/agents/${mine.agentId}/versions`],
    ['GET', `/environments/${mine.environmentId}`],
    ['POST', `/environments/${mine.environmentId}`, { name: 'stolen' }],
    ['POST', `/environments/${mine.environmentId}/archive`],
    ['DELETE', `/environments/${mine.environmentId}`],
    ['GET', `/sessions/${mine.sessionId}`],
    ['POST', `/sessions/${mine.sessionId}`, { title: 'stolen' }],
    ['POST', `/sessions/${mine.sessionId}/archive`],
    ['POST', `/sessions/${mine.sessionId}/cancel`],
    ['GET', `/sessions/${mine.sessionId}/events`],
    ['POST', `/sessions/${mine.sessionId}/events`, { events: [{ type: 'user.message', content: 'injected' }] }],
    ['DELETE', `/sessions/${mine.sessionId}`],
    ['GET', `/webhooks/${mine.webhookId}`],
    ['POST', `/webhooks/${mine.webhookId}`, { url: 'https://attacker.example.com/' }],
    ['POST', `/webhooks/${mine.webhookId}/rotate_secret`],
    ['GET', `/webhooks/${mine.webhookId}/deliveries`],
    ['DELETE', `/webhooks/${mine.webhookId}`],
    ['GET', `/vaults/${mine.vaultId}`],
    ['POST', `/vaults/${mine.vaultId}`, { display_name: 'stolen' }],
    ['POST', `/vaults/${mine.vaultId}/archive`],
    ['DELETE', `/vaults/${mine.vaultId}`],
    ['POST', `/vaults/${mine.vaultId}/credentials`, { display_name: 'x', auth: { type: 'static_bearer', token: 't', mcp_server_url: 'https://evil.example.com' } }],
    ['GET', `/vaults/${mine.vaultId}/credentials`],
    ['GET', `/vaults/${mine.vaultId}/credentials/${mine.credentialId}`],
    ['POST', `/vaults/${mine.vaultId}/credentials/${mine.credentialId}`, { display_name: 'stolen' }],
    ['POST', `/vaults/${mine.vaultId}/credentials/${mine.credentialId}/archive`],
    ['DELETE', `/vaults/${mine.vaultId}/credentials/${mine.credentialId}`],
  ];

  it('answers 404 on every route for another workspace’s ids and changes nothing', async () => {
    for (const [method, path, body] of routes()) {
      const reply = await api.request(method, path, { token: intruder, ...(body !== undefined ? { body } : {}) });
      expectError(reply, 404, 'not_found_error');
    }
    const session = await api.request('GET', `/sessions/${mine.sessionId}`);
    expect(session.body).toMatchObject({ title: '', archived_at: null });
    expect(session.body.agent.name).toBe('helper');
    expect((await api.request('GET', `/environments/${mine.environmentId}`)).body.archived_at).toBeNull();
    expect((await api.request('GET', `/sessions/${mine.sessionId}/events`)).body.data).toHaveLength(1);
    const webhook = await api.request('GET', `/webhooks/${mine.webhookId}`);
    expect(webhook.body).toMatchObject({ url: 'https://hooks.example.com/stratus', previous_secret_expires_at: null });
    expect((await api.request('GET', `/vaults/${mine.vaultId}`)).body).toMatchObject({ display_name: 'mine', archived_at: null });
    expect((await api.request('GET', `/vaults/${mine.vaultId}/credentials`)).body.data.map((c: any) => [c.id, c.display_name, c.archived_at])).toEqual([[mine.credentialId, 'c', null]]);
  });

  it('cannot name another workspace’s vault in a session', async () => {
    const ownEnv = (await api.request('POST', '/environments', { token: intruder, body: { name: 'own-for-vault' } })).body.id;
    const ownAgent = (await api.request('POST', '/agents', { token: intruder, body: { name: 'own-for-vault', model: 'stratus-demo' } })).body.id;
    const reply = await api.request('POST', '/sessions', { token: intruder, body: { agent: ownAgent, environment_id: ownEnv, vault_ids: [mine.vaultId] } });
    expectError(reply, 404, 'not_found_error', 'vault_ids.0');
  });

  it('cannot bind another workspace’s agent or environment to a session', async () => {
    const ownEnv = (await api.request('POST', '/environments', { token: intruder, body: { name: 'own' } })).body.id;
    const ownAgent = (await api.request('POST', '/agents', { token: intruder, body: { name: 'own', model: 'stratus-demo' } })).body.id;
    expectError(await api.request('POST', '/sessions', { token: intruder, body: { agent: mine.agentId, environment_id: ownEnv } }), 404, 'not_found_error', 'agent');
    expectError(await api.request('POST', '/sessions', { token: intruder, body: { agent: ownAgent, environment_id: mine.environmentId } }), 404, 'not_found_error', 'environment_id');
  });

  it('lists only the caller’s objects', async () => {
    for (const path of ['/agents', '/environments', '/sessions', '/webhooks', '/vaults']) {
      const reply = await api.request('GET', `${path}?include_archived=true`, { token: intruder });
      const ids = reply.body.data.map((o: any) => o.id);
      expect(ids).not.toContain(mine.agentId);
      expect(ids).not.toContain(mine.environmentId);
      expect(ids).not.toContain(mine.sessionId);
      expect(ids).not.toContain(mine.webhookId);
      expect(ids).not.toContain(mine.vaultId);
    }
    const filtered = await api.request('GET', `/sessions?agent_id=${mine.agentId}`, { token: intruder });
    expect(filtered.body.data).toEqual([]);
  });
});
