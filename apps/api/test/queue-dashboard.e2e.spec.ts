import { TokensService } from '@stratus/nest-common';
import { queuePrefix } from '@stratus/queues';
import { TEST_REDIS_URL, testRedisPrefix } from '@stratus/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createSession, expectError, type Reply, startTestApi, type TestApi } from './harness';

/** The api with the process env it reads at boot set for the time of its start (as a deployment sets it). */
async function startWithEnv(vars: Record<string, string>, redisKeyPrefix = testRedisPrefix(), serverEnv: Record<string, string> = {}): Promise<TestApi> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await startTestApi({ REDIS_KEY_PREFIX: redisKeyPrefix, ...serverEnv });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** A request to the dashboard's paths (outside the API prefix), with whatever headers the test gives. */
async function dashboard(api: TestApi, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const response = await fetch(`${api.url}/admin/queues${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // HTML or an asset
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const form = (token: string) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams({ token }).toString() });

async function login(api: TestApi, token: string): Promise<Reply> {
  const { body, ...headers } = form(token);
  return dashboard(api, 'POST', '/login', headers, body);
}

/** The `name=value` of the session cookie a login set. */
function sessionCookie(reply: Reply): string {
  const cookie = reply.headers.getSetCookie().find((c) => c.startsWith('stratus_admin_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(reply.headers.getSetCookie())}`);
  return cookie.split(';')[0]!;
}

describe('queue dashboard, off (the default)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startWithEnv({});
  });
  afterAll(() => api.close());

  it('does not exist: every path under /admin/queues is a 404, even for an admin token', async () => {
    const admin = await api.newWorkspaceToken(['admin']);
    for (const path of ['', '/', '/api/queues', '/login', '/static/images/logo.svg']) {
      expectError(await dashboard(api, 'GET', path, bearer(admin)), 404, 'not_found_error');
    }
    expectError(await dashboard(api, 'POST', '/login', { 'content-type': 'application/json' }, JSON.stringify({ token: admin })), 404, 'not_found_error');
  });
});

describe('queue dashboard, on', () => {
  const prefix = testRedisPrefix();
  let api: TestApi;
  let admin: string;
  let turns: Queue;
  let redis: Redis;

  beforeAll(async () => {
    api = await startWithEnv({ STRATUS_QUEUE_DASHBOARD: 'true' }, prefix);
    admin = await api.newWorkspaceToken(['admin']);
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    turns = new Queue('session-turns', { connection: redis, prefix: queuePrefix(prefix) });
  });
  afterAll(async () => {
    await turns.close();
    redis.disconnect();
    await api.close();
  });

  it('refuses a request without a token with a 401 in the error envelope, and sends a browser to the login form', async () => {
    for (const path of ['', '/api/queues', '/api/queues/session-turns/pause']) expectError(await dashboard(api, 'GET', path), 401, 'authentication_error');
    expectError(await dashboard(api, 'PUT', '/api/queues/session-turns/pause'), 401, 'authentication_error');
    expectError(await dashboard(api, 'GET', '/api/queues', bearer('pt-not-a-token-of-this-deployment-000000')), 401, 'authentication_error');
    expectError(await dashboard(api, 'GET', '/api/queues', { authorization: 'Basic abc' }), 401, 'authentication_error');

    const page = await dashboard(api, 'GET', '', { accept: 'text/html,application/xhtml+xml' });
    expect({ status: page.status, location: page.headers.get('location') }).toEqual({ status: 303, location: '/admin/queues/login' });
  });

  it('refuses workspace tokens with a 403: the queues of every workspace are for admins only', async () => {
    const workspace = await api.newWorkspaceToken();
    const readOnly = await api.newWorkspaceToken(['read']);
    for (const token of [workspace, readOnly, api.token]) {
      for (const path of ['', '/api/queues', '/api/redis/stats', '/static/images/logo.svg']) {
        const reply = await dashboard(api, 'GET', path, bearer(token));
        expectError(reply, 403, 'permission_error');
        expect(JSON.stringify(reply.body)).not.toContain('session-turns');
      }
      const { body, ...headers } = form(token);
      const refused = await dashboard(api, 'POST', '/login', headers, body);
      expectError(refused, 403, 'permission_error');
      expect(refused.headers.getSetCookie()).toEqual([]);
    }
  });

  it('gives an admin token nothing of the public API', async () => {
    expectError(await api.request('GET', '/agents', { token: admin }), 403, 'permission_error');
    expectError(await api.request('POST', '/agents', { token: admin, body: { name: 'a', model: 'stratus-demo' } }), 403, 'permission_error');
  });

  it('shows an admin the page and, through its API, the real BullMQ queues with a job waiting', async () => {
    // A turn enqueued by the api itself (no worker runs here, so it waits).
    const { sessionId } = await createSession(api);
    const sent = await api.request('POST', `/sessions/${sessionId}/events`, { body: { events: [{ type: 'user.message', content: 'hello' }] } });
    expect(sent.status).toBe(202);
    const [job] = await turns.getWaiting();
    expect(job?.data.sessionId).toBe(sessionId);

    const page = await dashboard(api, 'GET', '', bearer(admin));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('<base href="/admin/queues/" />');

    const listing = await dashboard(api, 'GET', '/api/queues?activeQueue=session-turns&status=waiting&page=1', bearer(admin));
    expect(listing.status).toBe(200);
    const queues = listing.body.queues as { name: string; counts: Record<string, number>; jobs: { id: string; data: { sessionId: string } }[] }[];
    expect(queues.map((q) => q.name).sort()).toEqual(['sandbox-lifecycle', 'session-turns', 'webhook-delivery']);
    const sessionTurns = queues.find((q) => q.name === 'session-turns')!;
    expect(sessionTurns.counts.waiting).toBe(1);
    expect(sessionTurns.jobs.map((j) => [j.id, j.data.sessionId])).toEqual([[job!.id, sessionId]]);
  });

  it('exchanges an admin token on the login form for an HttpOnly, SameSite=Strict session cookie scoped to the dashboard', async () => {
    const form = await dashboard(api, 'GET', '/login');
    expect(form.status).toBe(200);
    expect(form.body).toContain('<form method="post" action="/admin/queues/login">');
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");

    const loggedIn = await login(api, admin);
    expect({ status: loggedIn.status, location: loggedIn.headers.get('location') }).toEqual({ status: 303, location: '/admin/queues' });
    const [setCookie] = loggedIn.headers.getSetCookie();
    expect(setCookie).toMatch(/^stratus_admin_session=[A-Za-z0-9_-]+;/);
    const attributes = setCookie!.split(';').slice(1).map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['path=/admin/queues', 'httponly', 'samesite=strict', 'max-age=28800']));
    expect(setCookie).not.toContain(admin);

    // The browser's loads carry only the cookie: the page, a script of it, the API it polls.
    const cookie = sessionCookie(loggedIn);
    const page = await dashboard(api, 'GET', '', { cookie });
    expect(page.status).toBe(200);
    const script = /src="(static\/js\/main[^"]+\.js)"/.exec(page.body as string)?.[1];
    expect(script).toBeDefined();
    const asset = await dashboard(api, 'GET', `/${script}`, { cookie });
    expect({ status: asset.status, type: asset.headers.get('content-type') }).toEqual({ status: 200, type: expect.stringMatching(/javascript/) });
    expectError(await dashboard(api, 'GET', `/${script}`), 401, 'authentication_error');
    expect((await dashboard(api, 'GET', '/api/queues', { cookie })).status).toBe(200);
  });

  it('refuses a forged or altered cookie, clears it on logout, and ends every session of a revoked token at once', async () => {
    const cookie = sessionCookie(await login(api, admin));
    const value = cookie.split('=')[1]!;
    const altered = `stratus_admin_session=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [altered, 'stratus_admin_session=tok_00000000000000000000000000000000', 'stratus_admin_session=']) {
      expectError(await dashboard(api, 'GET', '/api/queues', { cookie: bad }), 401, 'authentication_error');
    }

    const out = await dashboard(api, 'GET', '/logout', { cookie });
    expect({ status: out.status, location: out.headers.get('location') }).toEqual({ status: 303, location: '/admin/queues/login' });
    expect(out.headers.getSetCookie()[0]).toMatch(/^stratus_admin_session=;.*Expires=Thu, 01 Jan 1970/);

    const tokens = api.app.get(TokensService);
    const secondAdmin = await tokens.issue(await tokens.createWorkspace('operators'), 'admin', ['admin']);
    const session = sessionCookie(await login(api, secondAdmin.secret));
    expect((await dashboard(api, 'GET', '/api/queues', { cookie: session })).status).toBe(200);
    expect(await tokens.revoke(secondAdmin.id)).toBe(true);
    expectError(await dashboard(api, 'GET', '/api/queues', { cookie: session }), 401, 'authentication_error');
    expectError(await login(api, secondAdmin.secret), 401, 'authentication_error');
  });

  it('answers a login without a token with a 400 naming the field', async () => {
    expectError(await dashboard(api, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, ''), 400, 'invalid_request_error', 'token');
    expectError(await dashboard(api, 'POST', '/login', { 'content-type': 'application/json' }, '{"token": 42}'), 400, 'invalid_request_error', 'token');
  });

  it('is read-only by default: a change is refused and the queue stays as it was', async () => {
    const paused = await dashboard(api, 'PUT', '/api/queues/session-turns/pause', bearer(admin));
    expect(paused.status).toBe(405);
    expect(await turns.isPaused()).toBe(false);
  });
});

describe('queue dashboard with its actions on (STRATUS_QUEUE_DASHBOARD_READ_ONLY=false), in production', () => {
  const prefix = testRedisPrefix();
  let api: TestApi;
  let redis: Redis;
  let turns: Queue;
  beforeAll(async () => {
    api = await startWithEnv({ STRATUS_QUEUE_DASHBOARD: 'true', STRATUS_QUEUE_DASHBOARD_READ_ONLY: 'false' }, prefix, {
      NODE_ENV: 'production',
      STRATUS_ENCRYPTION_KEY: 'a-production-key-of-at-least-32-characters',
    });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    turns = new Queue('session-turns', { connection: redis, prefix: queuePrefix(prefix) });
  });
  afterAll(async () => {
    await turns.close();
    redis.disconnect();
    await api.close();
  });

  it('lets an admin pause a queue, and still no one else', async () => {
    expectError(await dashboard(api, 'PUT', '/api/queues/session-turns/pause', bearer(api.token)), 403, 'permission_error');
    expect(await turns.isPaused()).toBe(false);
    const admin = await api.newWorkspaceToken(['admin']);
    expect((await dashboard(api, 'PUT', '/api/queues/session-turns/pause', bearer(admin))).status).toBe(200);
    expect(await turns.isPaused()).toBe(true);
  });

  it('marks the session cookie Secure (production is served over TLS) and reads it back', async () => {
    const loggedIn = await login(api, await api.newWorkspaceToken(['admin']));
    expect(loggedIn.headers.getSetCookie()[0]!.split(';').map((a) => a.trim())).toContain('Secure');
    expect((await dashboard(api, 'GET', '/api/queues', { cookie: sessionCookie(loggedIn) })).status).toBe(200);
  });
});

describe('queue dashboard login under a brute-force flood', () => {
  const LIMIT = 4;
  let api: TestApi;
  beforeAll(async () => {
    // A window longer than the test: the budget cannot refill half-way.
    api = await startWithEnv({ STRATUS_QUEUE_DASHBOARD: 'true' }, testRedisPrefix(), { AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '600' });
  });
  afterAll(() => api.close());

  it('spends the same per-address budget as the API: past it the form answers 429, and a valid admin token still logs in', async () => {
    const guess = () => `pt-guess-${Math.random().toString(36).slice(2)}`;
    // Half the budget spent on the public API, half on the login form: one budget for both.
    for (let i = 0; i < LIMIT / 2; i++) expect((await api.request('GET', '/agents', { token: guess() })).status).toBe(401);
    for (let i = 0; i < LIMIT / 2; i++) expectError(await login(api, guess()), 401, 'authentication_error');

    const refused = await login(api, guess());
    expectError(refused, 429, 'rate_limit_error');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // A guess as a bearer token on the board, and on the API, is refused the same way.
    expectError(await dashboard(api, 'GET', '/api/queues', bearer(guess())), 429, 'rate_limit_error');
    expectError(await api.request('GET', '/agents', { token: guess() }), 429, 'rate_limit_error');

    const loggedIn = await login(api, await api.newWorkspaceToken(['admin']));
    expect(loggedIn.status).toBe(303);
    expect((await dashboard(api, 'GET', '/api/queues', { cookie: sessionCookie(loggedIn) })).status).toBe(200);
  });
});
