import { createHash, randomBytes } from 'node:crypto';
import { TokensRepository, TokensService } from '@stratus/nest-common';
import { expectError, startTestApi, type TestApi } from './harness';
import { startOwnRedis, type OwnRedis } from '@stratus/testing';

// Floods of bad tokens: limited per client address, cheap to answer, and unable to push real
// callers out of the auth cache; and a Redis outage does not turn every request into a 503.

const badToken = () => `pt-${randomBytes(32).toString('base64url')}`;
const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');

describe('failed authentications per client address', () => {
  let api: TestApi;
  beforeAll(async () => {
    // The defaults: 100 failures per minute.
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers 429 with retry-after past 100 failures, while a valid token from the same address keeps working', async () => {
    for (let i = 0; i < 100; i++) {
      const reply = await api.request('GET', '/agents', { token: i % 2 ? badToken() : null });
      expect({ i, status: reply.status }).toEqual({ i, status: 401 });
    }
    const limited = await api.request('GET', '/agents', { token: badToken() });
    expectError(limited, 429, 'rate_limit_error');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expectError(await api.request('GET', '/agents', { token: null }), 429, 'rate_limit_error');

    expect((await api.request('GET', '/agents')).status).toBe(200);
    expect((await api.request('POST', '/agents', { body: { name: 'still-served', model: 'stratus-demo' } })).status).toBe(201);
    expect((await api.request('GET', '/healthz', { token: null })).status).toBe(200);
  });
});

describe('the failure window', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_SECONDS: '1' });
  });
  afterAll(() => api.close());

  it('lets the address try again once the window has passed', async () => {
    for (let i = 0; i < 2; i++) expect((await api.request('GET', '/agents', { token: badToken() })).status).toBe(401);
    expectError(await api.request('GET', '/agents', { token: badToken() }), 429, 'rate_limit_error');
    let status = 429;
    for (let tries = 0; status === 429 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await api.request('GET', '/agents', { token: null })).status;
    }
    expect(status).toBe(401);
  });
});

describe('unknown tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ AUTH_FAILURE_LIMIT: '0', AUTH_NEGATIVE_CACHE_TTL_MS: '600000' });
  });
  afterAll(() => api.close());

  it('are answered from a cache: a token stored after it was refused stays refused until the entry expires', async () => {
    const secret = badToken();
    expectError(await api.request('GET', '/agents', { token: secret }), 401, 'authentication_error');
    // Make the token valid behind the API's back: only a PostgreSQL query could notice.
    const [{ workspace_id: workspaceId }] = await api.sql('SELECT workspace_id FROM api_tokens LIMIT 1');
    await api.sql("INSERT INTO api_tokens (id, workspace_id, name, token_hash, hint, scopes) VALUES ('token_late', $1, 'late', $2, 'pt-late', ARRAY['read','write'])", [workspaceId, sha256(secret)]);
    expect(await api.app.get(TokensRepository).findActiveByHash(sha256(secret))).not.toBeNull();
    expectError(await api.request('GET', '/agents', { token: secret }), 401, 'authentication_error');
  });
});

describe('the cache of verified tokens', () => {
  it('is a bounded LRU: past its size the least recently used token is asked for again', async () => {
    const api = await startTestApi({ AUTH_CACHE_TTL_MS: '600000', AUTH_CACHE_MAX_ENTRIES: '2' });
    try {
      const [a, b, c] = [await api.newWorkspaceToken(), await api.newWorkspaceToken(), await api.newWorkspaceToken()];
      for (const token of [a, b, c]) expect((await api.request('GET', '/agents', { token })).status).toBe(200);
      // Revoked behind the cache's back: a cached token still passes, an evicted one is looked up.
      await api.sql('UPDATE api_tokens SET revoked_at = now()');
      expect((await api.request('GET', '/agents', { token: c })).status).toBe(200);
      expect((await api.request('GET', '/agents', { token: b })).status).toBe(200);
      expect((await api.request('GET', '/agents', { token: a })).status).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('keeps a verified token through a flood of more than 10,000 unknown ones', async () => {
    const api = await startTestApi({ AUTH_CACHE_TTL_MS: '600000' });
    try {
      const tokens = api.app.get(TokensService);
      expect(await tokens.verify(api.token)).not.toBeNull();
      await api.sql('UPDATE api_tokens SET revoked_at = now()');
      const flood = Array.from({ length: 10_050 }, badToken);
      for (let i = 0; i < flood.length; i += 50) await Promise.all(flood.slice(i, i + 50).map((t) => tokens.verify(t)));
      // Still served from the cache: the flood did not clear it.
      expect(await tokens.verify(api.token)).not.toBeNull();
    } finally {
      await api.close();
    }
  }, 120_000);
});

describe('the per-token rate limit while Redis is unreachable', () => {
  let redis: OwnRedis;
  let api: TestApi;
  beforeAll(async () => {
    redis = await startOwnRedis();
    api = await startTestApi({ REDIS_URL: redis.url, RATE_LIMIT_REQUESTS: '5', RATE_LIMIT_WINDOW_SECONDS: '600' });
  });
  afterAll(async () => {
    await api.close();
    await redis.kill();
  });

  it('falls back to a limit of this process alone instead of answering 503', async () => {
    expect((await api.request('GET', '/agents')).status).toBe(200);
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      const reply = await api.request('GET', '/agents');
      expect({ i, status: reply.status }).toEqual({ i, status: 200 });
    }
    const limited = await api.request('GET', '/agents');
    expectError(limited, 429, 'rate_limit_error');
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });
});
