/** The ids a route path is built from: an agent, an environment and a session of the test's workspace. */
export interface RouteIds {
  agentId: string;
  environmentId: string;
  sessionId: string;
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
];
