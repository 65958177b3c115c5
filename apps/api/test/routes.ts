import { createSession, type TestApi } from './harness';

/** The ids a route path is built from: objects of every kind in the test's workspace. */
export interface RouteIds {
  agentId: string;
  environmentId: string;
  sessionId: string;
  webhookId: string;
  vaultId: string;
  credentialId: string;
}

/** Creates the objects every route of ROUTES can address. */
export async function createRouteObjects(api: TestApi): Promise<RouteIds> {
  const webhook = await api.request('POST', '/webhooks', { body: { url: 'https://hooks.example.com/stratus', event_types: ['session.status_idle'] } });
  const vaultId: string = (await api.request('POST', '/vaults', { body: { display_name: 'routes' } })).body.id;
  const credential = await api.request('POST', `/vaults/${vaultId}/credentials`, {
    body: { display_name: 'c', auth: { type: 'static_bearer', token: 't', mcp_server_url: 'https://mcp.example.com/mcp' } },
  });
  return { ...(await createSession(api)), webhookId: webhook.body.id, vaultId, credentialId: credential.body.id };
}

/** Every public API route, as [method, path builder]; `id`, when not empty, replaces the resource id. */
export const ROUTES: [string, (ids: RouteIds, id: string) => string][] = [
  ['POST', () => '/agents'],
  ['GET', () => '/agents'],
  ['GET', (x, id) => `/agents/${id || x.agentId}`],
  ['POST', (x, id) => `/agents/${id || x.agentId}`],
  ['POST', (x, id) => `/agents/${id || x.agentId}/archive`],
  ['GET', (x, id) => `/agents/${id || x.agentId}/versions`],
  ['POST', () => '/environments'],
  ['GET', () => '/environments'],
  ['GET', (x, id) => `/environments/${id || x.environmentId}`],
  ['POST', (x, id) => `/environments/${id || x.environmentId}`],
  ['POST', (x, id) => `/environments/${id || x.environmentId}/archive`],
  ['DELETE', (_x, id) => `/environments/${id || 'env_0123456789abcdef0123456789abcdef'}`],
  ['POST', () => '/sessions'],
  ['GET', () => '/sessions'],
  ['GET', (x, id) => `/sessions/${id || x.sessionId}`],
  ['POST', (x, id) => `/sessions/${id || x.sessionId}`],
  ['POST', (x, id) => `/sessions/${id || x.sessionId}/archive`],
  ['POST', (x, id) => `/sessions/${id || x.sessionId}/cancel`],
  ['DELETE', (_x, id) => `/sessions/${id || 'sess_0123456789abcdef0123456789abcdef'}`],
  ['POST', (x, id) => `/sessions/${id || x.sessionId}/events`],
  ['GET', (x, id) => `/sessions/${id || x.sessionId}/events`],
  ['GET', () => '/models'],
  ['POST', () => '/webhooks'],
  ['GET', () => '/webhooks'],
  ['GET', (x, id) => `/webhooks/${id || x.webhookId}`],
  ['POST', (x, id) => `/webhooks/${id || x.webhookId}`],
  ['POST', (x, id) => `/webhooks/${id || x.webhookId}/rotate_secret`],
  ['GET', (x, id) => `/webhooks/${id || x.webhookId}/deliveries`],
  ['DELETE', (_x, id) => `/webhooks/${id || 'whk_0123456789abcdef0123456789abcdef'}`],
  ['POST', () => '/vaults'],
  ['GET', () => '/vaults'],
  ['GET', (x, id) => `/vaults/${id || x.vaultId}`],
  ['POST', (x, id) => `/vaults/${id || x.vaultId}`],
  ['POST', (x, id) => `/vaults/${id || x.vaultId}/archive`],
  ['DELETE', (_x, id) => `/vaults/${id || 'vlt_0123456789abcdef0123456789abcdef'}`],
  ['POST', (x, id) => `/vaults/${id || x.vaultId}/credentials`],
  ['GET', (x, id) => `/vaults/${id || x.vaultId}/credentials`],
  ['GET', (x, id) => `/vaults/${x.vaultId}/credentials/${id || x.credentialId}`],
  ['POST', (x, id) => `/vaults/${x.vaultId}/credentials/${id || x.credentialId}`],
  ['DELETE', (x, id) => `/vaults/${x.vaultId}/credentials/${id || 'vcrd_0123456789abcdef0123456789abcdef'}`],
];
