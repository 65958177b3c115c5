import { expectError, startTestApi, type TestApi } from './harness';

// The webhook endpoints over real HTTP and PostgreSQL: the secret is shown once and stored sealed, URLs
// are checked against the outbound policy, lists page like every list, bad input is a 400 that writes nothing.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_REQUESTS: '0' });
});
afterAll(() => api.close());

const create = (body: Record<string, unknown>) => api.request('POST', '/webhooks', { body });
const valid = { url: 'https://hooks.example.com/stratus', event_types: ['session.status_idle', 'session.error'], description: 'ops' };

describe('webhooks', () => {
  it('creates a webhook and shows its secret once, stored sealed', async () => {
    const created = await create(valid);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'webhook', url: valid.url, event_types: valid.event_types, description: 'ops', enabled: true, previous_secret_expires_at: null });
    expect(created.body.id).toMatch(/^whk_[0-9a-f]{32}$/);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);

    const reads = [await api.request('GET', `/webhooks/${created.body.id}`), await api.request('GET', '/webhooks'), await api.request('POST', `/webhooks/${created.body.id}`, { body: { description: 'changed' } })];
    for (const reply of reads) {
      expect(reply.status).toBe(200);
      expect(JSON.stringify(reply.body)).not.toContain(secret.slice(6, 30));
      expect(JSON.stringify(reply.body)).not.toContain('"secret"');
    }
    const [row] = await api.sql('SELECT secret_encrypted FROM webhooks WHERE id = $1', [created.body.id]);
    expect(Buffer.from(row.secret_encrypted).toString('latin1')).not.toContain(secret.slice(6));
  });

  it('never keeps the secret in clear for an Idempotency-Key replay: the replay omits it', async () => {
    const headers = { 'idempotency-key': `create-${Math.random()}` };
    const first = await api.request('POST', '/webhooks', { body: valid, headers });
    const replay = await api.request('POST', '/webhooks', { body: valid, headers });
    expect(first.body.secret).toMatch(/^whsec_/);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(Object.fromEntries(Object.entries(first.body).filter(([key]) => key !== 'secret')));
    const stored = await api.sql('SELECT response_body::text AS body FROM idempotency_keys');
    expect(stored.some((row) => row.body.includes(first.body.secret.slice(6)))).toBe(false);
  });

  it('updates, pauses and deletes a webhook', async () => {
    const { body: webhook } = await create(valid);
    const updated = await api.request('POST', `/webhooks/${webhook.id}`, { body: { event_types: ['*'], enabled: false, url: 'https://other.example.com/hook' } });
    expect(updated.body).toMatchObject({ event_types: ['*'], enabled: false, url: 'https://other.example.com/hook', description: 'ops' });
    expect(await api.request('DELETE', `/webhooks/${webhook.id}`)).toMatchObject({ status: 200, body: { id: webhook.id, type: 'webhook_deleted' } });
    expectError(await api.request('GET', `/webhooks/${webhook.id}`), 404, 'not_found_error');
    expectError(await api.request('GET', `/webhooks/${webhook.id}/deliveries`), 404, 'not_found_error');
  });

  it('rotates the secret: a new one shown once, the old one valid for the grace period', async () => {
    const { body: webhook } = await create(valid);
    const rotated = await api.request('POST', `/webhooks/${webhook.id}/rotate_secret`, { body: { grace_period_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    const expires = Date.parse(rotated.body.previous_secret_expires_at);
    expect(expires).toBeGreaterThan(Date.now() + 3500_000);
    expect(expires).toBeLessThan(Date.now() + 3700_000);
    const read = await api.request('GET', `/webhooks/${webhook.id}`);
    expect(read.body.previous_secret_expires_at).toBe(rotated.body.previous_secret_expires_at);
    expect(read.body.secret).toBeUndefined();
    // Without a body the grace period is 24 h.
    const again = await api.request('POST', `/webhooks/${webhook.id}/rotate_secret`);
    expect(Date.parse(again.body.previous_secret_expires_at)).toBeGreaterThan(Date.now() + 23 * 3600_000);
  });

  it.each([
    [{ ...valid, url: 'not a url' }, 'url'],
    [{ ...valid, url: 'http://hooks.example.com/stratus' }, 'url'],
    [{ ...valid, url: 'ftp://hooks.example.com/stratus' }, 'url'],
    [{ ...valid, url: 'https://user:pass@hooks.example.com/' }, 'url'],
    [{ ...valid, url: 'https://127.0.0.1/hook' }, 'url'],
    [{ ...valid, url: 'https://169.254.169.254/latest/meta-data' }, 'url'],
    [{ ...valid, url: 'https://[::1]:8443/hook' }, 'url'],
    [{ ...valid, url: 'https://10.1.2.3/hook' }, 'url'],
    [{ ...valid, event_types: [] }, 'event_types'],
    [{ ...valid, event_types: ['session.nope'] }, 'event_types.0'],
    [{ ...valid, event_types: ['*', 'session.error'] }, 'event_types'],
    [{ ...valid, event_types: ['session.error', 'session.error'] }, 'event_types'],
    [{ url: valid.url }, 'event_types'],
    [{ ...valid, secret: 'whsec_mine' }, undefined],
    [{ ...valid, enabled: 'yes' }, 'enabled'],
  ])('refuses %j with a 400 and stores nothing', async (body, param) => {
    const [before] = await api.sql('SELECT count(*)::int AS n FROM webhooks');
    const reply = await create(body);
    expectError(reply, 400, 'invalid_request_error', param);
    const [after] = await api.sql('SELECT count(*)::int AS n FROM webhooks');
    expect(after.n).toBe(before.n);
  });

  it('checks the URL on update too, and the rotation body', async () => {
    const { body: webhook } = await create(valid);
    expectError(await api.request('POST', `/webhooks/${webhook.id}`, { body: { url: 'http://192.168.1.1/' } }), 400, 'invalid_request_error', 'url');
    expectError(await api.request('POST', `/webhooks/${webhook.id}/rotate_secret`, { body: { grace_period_seconds: -1 } }), 400, 'invalid_request_error', 'grace_period_seconds');
    expect((await api.request('GET', `/webhooks/${webhook.id}`)).body.url).toBe(valid.url);
  });

  it('pages the list newest first, with cursors', async () => {
    const other = await api.newWorkspaceToken();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.request('POST', '/webhooks', { token: other, body: { ...valid, description: `n${i}` } })).body.id);
    const first = await api.request('GET', '/webhooks?limit=2', { token: other });
    expect(first.body.data.map((w: { id: string }) => w.id)).toEqual([ids[4], ids[3]]);
    expect(first.body.has_more).toBe(true);
    const second = await api.request('GET', `/webhooks?limit=2&page=${first.body.next_page}`, { token: other });
    expect(second.body.data.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[1]]);
    const rest = await api.request('GET', `/webhooks?after_id=${ids[1]}`, { token: other });
    expect(rest.body).toMatchObject({ data: [{ id: ids[0] }], has_more: false, next_page: null });
    expectError(await api.request('GET', '/webhooks?limit=0', { token: other }), 400, 'invalid_request_error', 'limit');
    expectError(await api.request('GET', `/webhooks/${ids[0]}/deliveries?after_id=whe_0123456789abcdef0123456789abcdef`, { token: other }), 400, 'invalid_request_error', 'after_id');
    expect((await api.request('GET', `/webhooks/${ids[0]}/deliveries`, { token: other })).body).toMatchObject({ data: [], has_more: false });
  });
});

describe('webhooks with an operator allow-list', () => {
  let allowed: TestApi;
  beforeAll(async () => {
    process.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS = '127.0.0.1:*,hooks.internal';
    allowed = await startTestApi();
  });
  afterAll(async () => {
    delete process.env.STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS;
    await allowed.close();
  });

  it('accepts plain http and private addresses for listed hosts only', async () => {
    const post = (url: string) => allowed.request('POST', '/webhooks', { body: { url, event_types: ['*'] } });
    expect((await post('http://127.0.0.1:9999/hook')).status).toBe(201);
    expect((await post('http://hooks.internal/hook')).status).toBe(201);
    expectError(await post('http://hooks.internal:8080/hook'), 400, 'invalid_request_error', 'url');
    expectError(await post('https://10.0.0.1/hook'), 400, 'invalid_request_error', 'url');
  });
});
