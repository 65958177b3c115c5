import { SERVER_ENV, type ServerEnv } from '@stratus/nest-common';
import { queuePrefix, turnControlChannel } from '@stratus/queues';
import { TEST_REDIS_URL } from '@stratus/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createSession, demoAgent, startTestApi, type TestApi } from './harness';

// How the API hands sessions to the worker fleet: turn jobs on the session-turns queue when a session
// wakes up, and control messages to the worker running a turn. No worker runs here.

let api: TestApi;
let env: ServerEnv;
let queue: Queue;
let lifecycle: Queue;
let connection: Redis;
let subscriber: Redis;
const control: any[] = [];

beforeAll(async () => {
  api = await startTestApi();
  env = api.app.get(SERVER_ENV);
  connection = new Redis(TEST_REDIS_URL);
  queue = new Queue('session-turns', { connection, prefix: queuePrefix(env.REDIS_KEY_PREFIX) });
  lifecycle = new Queue('sandbox-lifecycle', { connection, prefix: queuePrefix(env.REDIS_KEY_PREFIX) });
  subscriber = new Redis(TEST_REDIS_URL);
  await subscriber.subscribe(turnControlChannel(env.REDIS_KEY_PREFIX));
  subscriber.on('message', (_channel, raw: string) => control.push(JSON.parse(raw)));
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await lifecycle.obliterate({ force: true });
  await lifecycle.close();
  connection.disconnect();
  subscriber.disconnect();
  await api.close();
});

const jobsOf = async (sessionId: string) => (await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).filter((job) => job.data.sessionId === sessionId);
const statusOf = async (sessionId: string) => (await api.request('GET', `/sessions/${sessionId}`)).body.status;
const send = (sessionId: string, ...events: object[]) => api.request('POST', `/sessions/${sessionId}/events`, { body: { events } });

/** Waits briefly for control messages about a session (pub/sub delivers them asynchronously). */
async function controlFor(sessionId: string, count: number): Promise<any[]> {
  for (let i = 0; i < 100; i++) {
    const mine = control.filter((m) => m.sessionId === sessionId);
    if (mine.length >= count) return mine;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return control.filter((m) => m.sessionId === sessionId);
}

describe('turn scheduling', () => {
  it('wakes an idle session with one turn job per wake-up, named after the session and the waking event', async () => {
    const { sessionId } = await createSession(api);
    const [first] = (await send(sessionId, { type: 'user.message', content: 'one' })).body.data;
    expect(await statusOf(sessionId)).toBe('processing');
    await send(sessionId, { type: 'user.message', content: 'two' });

    const jobs = await jobsOf(sessionId);
    expect(jobs.map((job) => job.id)).toEqual([`${sessionId}-1`]);
    expect(jobs[0]!.data).toMatchObject({ sessionId, wakeSeq: 1 });
    expect(first.processed_at).toBeNull();
  });

  it('enqueues the first turn of a session created with initial events', async () => {
    const agent = await api.request('POST', '/agents', { body: demoAgent() });
    const environment = await api.request('POST', '/environments', { body: { name: `env-${Math.random()}` } });
    const session = await api.request('POST', '/sessions', {
      body: { agent: agent.body.id, environment_id: environment.body.id, initial_events: [{ type: 'user.message', content: 'a' }, { type: 'user.message', content: 'b' }] },
    });
    expect(session.body.status).toBe('processing');
    expect((await jobsOf(session.body.id)).map((job) => job.id)).toEqual([`${session.body.id}-2`]);
  });

  it('wakes a paused turn only when its last pending tool use is answered', async () => {
    const { sessionId } = await createSession(api);
    const [{ workspace_id: ws }] = await api.sql('SELECT workspace_id FROM sessions WHERE id = $1', [sessionId]);
    const ids = ['evt_00000000000000000000000000000d01', 'evt_00000000000000000000000000000d02', 'evt_00000000000000000000000000000d03'];
    const rows: [string, string, object][] = [
      [ids[0]!, 'agent.custom_tool_use', { name: 'lookup', input: {} }],
      [ids[1]!, 'agent.tool_use', { name: 'Bash', input: { command: 'ls' }, evaluated_permission: 'ask' }],
      [ids[2]!, 'session.status_idle', { stop_reason: { type: 'requires_action', event_ids: [ids[0], ids[1]] } }],
    ];
    for (const [i, [id, type, payload]] of rows.entries()) {
      await api.sql('INSERT INTO events (id, session_id, workspace_id, seq, type, payload, processed_at) VALUES ($1, $2, $3, $4, $5, $6, now())', [id, sessionId, ws, i + 1, type, payload]);
    }
    await api.sql('UPDATE sessions SET last_seq = 3 WHERE id = $1', [sessionId]);

    await send(sessionId, { type: 'user.custom_tool_result', custom_tool_use_id: ids[0], content: 'found' });
    await send(sessionId, { type: 'user.message', content: 'meanwhile' });
    expect(await statusOf(sessionId)).toBe('idle');
    expect(await jobsOf(sessionId)).toEqual([]);

    await send(sessionId, { type: 'user.tool_confirmation', tool_use_id: ids[1], result: 'allow' });
    expect(await statusOf(sessionId)).toBe('processing');
    expect((await jobsOf(sessionId)).map((job) => job.id)).toEqual([`${sessionId}-6`]);
  });
});

describe('sandbox lifecycle', () => {
  it('asks for no sandbox when a session is created (its first turn that needs one starts it), and for its end when the session is deleted', async () => {
    const { sessionId } = await createSession(api);
    const actions = async () => (await lifecycle.getJobs(['waiting', 'delayed'])).filter((job) => job.data.sessionId === sessionId).map((job) => job.data.action);
    expect(await actions()).toEqual([]);
    expect((await api.request('DELETE', `/sessions/${sessionId}`)).status).toBe(200);
    expect(await actions()).toEqual(['destroy']);
  });
});

describe('turn control', () => {
  it('tells the running worker about a cancel, an interrupt and a deletion', async () => {
    const { sessionId } = await createSession(api);
    await send(sessionId, { type: 'user.message', content: 'go' });
    expect((await api.request('POST', `/sessions/${sessionId}/cancel`)).status).toBe(202);
    await api.sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [sessionId]);
    const [interrupt] = (await send(sessionId, { type: 'user.interrupt' })).body.data;
    expect(interrupt.processed_at).not.toBeNull();
    expect(await statusOf(sessionId)).toBe('canceling');
    expect((await api.request('DELETE', `/sessions/${sessionId}`)).status).toBe(200);

    const messages = await controlFor(sessionId, 3);
    expect(messages.map((m) => m.action)).toEqual(['cancel', 'interrupt', 'delete']);
    expect(messages[0]).toEqual({ sessionId, action: 'cancel', at: expect.any(Number) });
  });

  it('sends nothing for a cancel or an interrupt of an idle session', async () => {
    const { sessionId } = await createSession(api);
    expect((await api.request('POST', `/sessions/${sessionId}/cancel`)).status).toBe(200);
    await send(sessionId, { type: 'user.interrupt' });
    expect(await statusOf(sessionId)).toBe('idle');
    expect(await jobsOf(sessionId)).toEqual([]);
    expect(await controlFor(sessionId, 1)).toEqual([]);
  });
});
