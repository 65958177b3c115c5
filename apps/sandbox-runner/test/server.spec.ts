import { startTestRunner, TOKEN, type TestRunner } from './runner-harness';

describe('runner HTTP server', () => {
  let runner: TestRunner;

  beforeAll(async () => {
    runner = await startTestRunner();
  });
  afterAll(() => runner.close());

  it('answers GET /healthz with the token', async () => {
    expect(await runner.call('/healthz')).toEqual({ status: 200, body: { ok: true } });
  });

  it.each([
    ['no Authorization header', null],
    ['a wrong token', `${TOKEN}x`],
    ['a prefix of the token', TOKEN.slice(0, 10)],
  ])('refuses %s with a 401, on every route', async (_case, token) => {
    for (const [route, body] of [
      ['/healthz', undefined],
      ['/v1/exec', { command: 'touch should-not-exist' }],
      ['/v1/read', { path: 'x' }],
    ] as const) {
      const { status, body: answer } = await runner.call(route, body, { token });
      expect(status).toBe(401);
      expect(answer).toEqual({ error: { type: 'authentication_error', message: expect.any(String) } });
    }
    const { body } = await runner.call('/v1/glob', { pattern: '*' });
    expect(body.paths).toEqual([]);
  });

  it('answers 404 for an unknown route and 405 for the wrong method', async () => {
    expect((await runner.call('/v1/nope', {})).status).toBe(404);
    expect((await runner.call('/v1/exec', undefined, { method: 'GET' })).status).toBe(405);
  });

  it('answers 400 for a body that is not JSON or not the expected shape', async () => {
    const missing = await runner.call('/v1/exec', {});
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('command');
    const extra = await runner.call('/v1/read', { path: 'a', bogus: 1 });
    expect(extra.status).toBe(400);
  });
});
