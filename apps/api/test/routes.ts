import { createSession, type TestApi } from './harness';

/** The ids a route path is built from: an agent, an environment, a session and a webhook of the test's workspace. */
export interface RouteIds {
  agentId: string;
  environmentId: string;
  sessionId: string;
  webhookId: string;
}

/** Creates the objects every route of ROUTES can address. */
export async function createRouteObjects(api: TestApi): Promise<RouteIds> {
  const webhook = await api.request('POST', '/webhooks', { body: { url: 'https://hooks.example.com/stratus', event_types: ['session.status_idle'] } });
  return { ...(await createSession(api)), webhookId: webhook.body.id };
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
];
