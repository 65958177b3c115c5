import { IdempotencyJanitor } from '../src/idempotency/idempotency-janitor.service';
import { demoAgent, demoEnvironment, expectError, startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const countAgents = async (token = api.token) => (await api.request('GET', '/agents?limit=100', { token })).body.data.length;

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, without acting again', async () => {
    const before = await countAgents();
    const first = await api.request('POST', '/agents', { body: demoAgent(), headers: { 'idempotency-key': 'create-1' } });
    const second = await api.request('POST', '/agents', { body: demoAgent(), headers: { 'idempotency-key': 'create-1' } });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await countAgents()).toBe(before + 1);
  });

  it('answers 409 when the key is reused with another body', async () => {
    await api.request('POST', '/agents', { body: demoAgent(), headers: { 'idempotency-key': 'create-2' } });
    const reuse = await api.request('POST', '/agents', { body: demoAgent({ name: 'other' }), headers: { 'idempotency-key': 'create-2' } });
    expectError(reuse, 409, 'conflict_error', 'Idempotency-Key');
  });

  it('lets exactly one of two concurrent requests with one key act; the other gets 409 or the replay', async () => {
    const before = await countAgents();
    const replies = await Promise.all([1, 2].map(() => api.request('POST', '/agents', { body: demoAgent(), headers: { 'idempotency-key': 'race-1' } })));
    expect(await countAgents()).toBe(before + 1);
    const statuses = replies.map((r) => r.status).sort();
    expect([[201, 409], [201, 201]]).toContainEqual(statuses);
    const winner = replies.find((r) => r.headers.get('idempotent-replayed') === null && r.status === 201)!;
    const loser = replies.find((r) => r !== winner)!;
    if (loser.status === 409) expect(loser.body.error.message).toMatch(/in progress/);
    else expect(loser.body).toEqual(winner.body);
  });

  it('is scoped per token', async () => {
    const other = await api.newWorkspaceToken();
    const mine = await api.request('POST', '/environments', { body: demoEnvironment({ name: 'idem-a' }), headers: { 'idempotency-key': 'k' } });
    const theirs = await api.request('POST', '/environments', { token: other, body: demoEnvironment({ name: 'idem-a' }), headers: { 'idempotency-key': 'k' } });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('replays client errors too, and works on DELETE and on event sends', async () => {
    const bad = await api.request('POST', '/agents', { body: { name: 'x', model: 'nope' }, headers: { 'idempotency-key': 'bad-1' } });
    const again = await api.request('POST', '/agents', { body: { name: 'x', model: 'nope' }, headers: { 'idempotency-key': 'bad-1' } });
    expect(again.status).toBe(400);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.error).toEqual(bad.body.error);

    const agent = (await api.request('POST', '/agents', { body: demoAgent() })).body;
    const env = (await api.request('POST', '/environments', { body: demoEnvironment() })).body;
    const session = (await api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: env.id } })).body;
    const send = () => api.request('POST', `/sessions/${session.id}/events`, { body: { events: [{ type: 'user.message', content: 'once' }] }, headers: { 'idempotency-key': 'send-1' } });
    const [s1, s2] = [await send(), await send()];
    expect(s2.body).toEqual(s1.body);
    expect((await api.request('GET', `/sessions/${session.id}/events`)).body.data).toHaveLength(1);

    const del = () => api.request('DELETE', `/sessions/${session.id}`, { headers: { 'idempotency-key': 'del-1' } });
    const [d1, d2] = [await del(), await del()];
    expect(d1.status).toBe(200);
    expect(d2.status).toBe(200);
    expect(d2.headers.get('idempotent-replayed')).toBe('true');
  });

  it('rejects a key longer than 255 characters', async () => {
    expectError(await api.request('POST', '/agents', { body: demoAgent(), headers: { 'idempotency-key': 'k'.repeat(256) } }), 400, 'invalid_request_error', 'Idempotency-Key');
  });

  it('sweeps keys older than 24 h, and a key whose record expired acts again', async () => {
    await api.request('POST', '/environments', { body: demoEnvironment({ name: 'sweep-a' }), headers: { 'idempotency-key': 'sweep' } });
    await api.sql("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'sweep'");
    const again = await api.request('POST', '/environments', { body: demoEnvironment({ name: 'sweep-b' }), headers: { 'idempotency-key': 'sweep' } });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    await api.sql("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'sweep'");
    expect(await api.app.get(IdempotencyJanitor).sweep()).toBeGreaterThanOrEqual(1);
    expect(await api.sql("SELECT key FROM idempotency_keys WHERE key = 'sweep'")).toEqual([]);
  });
});
