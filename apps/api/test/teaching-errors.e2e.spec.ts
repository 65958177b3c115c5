import { demoAgent, expectError, startTestApi, type TestApi } from './harness';

// Errors that teach: a misspelt field is named with the field it was meant to be, a wrong method
// on a known path says which methods it answers, and every route words its problems alike.
describe('errors that teach', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('names a misspelt field and suggests the one it was meant to be', async () => {
    const { model, ...rest } = demoAgent();
    const reply = await api.request('POST', '/agents', { body: { ...rest, modle: model } });
    expectError(reply, 400, 'invalid_request_error', 'modle');
    expect(reply.body.error.message).toBe('Unknown field `modle` (did you mean `model`?).');
    expect((await api.request('GET', '/agents')).body.data).toEqual([]);
  });

  it('names a misspelt nested field', async () => {
    const reply = await api.request('POST', '/environments', { body: { name: 'e', config: { type: 'cloud', netwroking: { type: 'none' } } } });
    expectError(reply, 400, 'invalid_request_error', 'config.netwroking');
    expect(reply.body.error.message).toBe('Unknown field `netwroking` in config (did you mean `networking`?).');
  });

  it('words missing and wrong fields the same way on every route', async () => {
    const missing = await api.request('POST', '/agents', { body: { name: 'a' } });
    expect(missing.body.error.message).toBe('model: field required.');
    const wrongType = await api.request('POST', '/agents', { body: demoAgent({ name: 7 }) });
    expect(wrongType.body.error.message).toBe('name: must be a string.');
    const session = await api.request('POST', '/sessions', { body: {} });
    expect(session.body.error.message).toBe('agent: field required.');
    const limit = await api.request('GET', '/agents?limit=0');
    expectError(limit, 400, 'invalid_request_error');
    expect(limit.body.error.message).toMatch(/^limit: must be/);
  });

  it('answers 405 with `allow` for a known path asked with the wrong method', async () => {
    const reply = await api.request('PUT', '/agents');
    expectError(reply, 405, 'invalid_request_error');
    expect(reply.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(reply.body.error.message).toBe('PUT is not allowed on this path; it answers GET, HEAD, POST.');
    const byId = await api.request('PATCH', '/sessions/sesn_0123');
    expect(byId.status).toBe(405);
    expect(byId.headers.get('allow')).toBe('GET, HEAD, POST, DELETE');
  });

  it('still answers 404 for a path no route has', async () => {
    const reply = await api.request('GET', '/nothing-here');
    expectError(reply, 404, 'not_found_error');
  });
});
