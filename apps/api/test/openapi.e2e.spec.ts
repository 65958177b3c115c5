import { startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('API reference', () => {
  it('serves an OpenAPI 3.1 document covering every route, generated from the contracts', async () => {
    const reply = await api.request('GET', '/api/v1/cloud/openapi.json', { token: null });
    expect(reply.status).toBe(200);
    const doc = reply.body;
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const op of [
      'POST /agents', 'GET /agents', 'GET /agents/{id}', 'POST /agents/{id}', 'POST /agents/{id}/archive', 'GET /agents/{id}/versions',
      'POST /environments', 'GET /environments', 'GET /environments/{id}', 'POST /environments/{id}', 'POST /environments/{id}/archive', 'DELETE /environments/{id}',
      'POST /sessions', 'GET /sessions', 'GET /sessions/{id}', 'POST /sessions/{id}', 'POST /sessions/{id}/archive', 'POST /sessions/{id}/cancel', 'DELETE /sessions/{id}',
      'POST /sessions/{id}/events', 'GET /sessions/{id}/events', 'GET /sessions/{id}/events/stream', 'GET /models',
    ]) {
      expect(operations).toContain(op);
    }
    // Every $ref resolves to a component.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z0-9_.-]+/g) ?? [];
    for (const ref of new Set(refs)) expect(doc.components.schemas).toHaveProperty(ref.split('/').pop()!);
    // Request bodies come from the zod schemas: the agent tool union and the 256-char name limit.
    const createAgent = doc.components.schemas.CreateAgentRequest;
    expect(createAgent.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 256 });
    expect(createAgent.required).toEqual(expect.arrayContaining(['name', 'model']));
    expect(createAgent.additionalProperties).toBe(false);
    expect(JSON.stringify(doc.components.schemas)).toContain('agent_toolset_20260401');
  });

  it('serves a readable reference page with its assets, without a CDN', async () => {
    const page = await api.request('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('/api/v1/cloud/openapi.json');
    expect(page.body).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${api.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await api.request('GET', '/docs/assets/..%2F..%2Fpackage.json', { token: null })).status).toBe(404);
  });
});
