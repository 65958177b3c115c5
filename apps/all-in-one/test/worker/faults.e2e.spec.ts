import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { queuePrefix } from '@stratus/queues';
import { createTestDatabase, eventually, removeSandboxBase, pidsWithArgument, startOwnRedis, startScriptedModel, startTcpProxy, testRedisPrefix, type OwnRedis, type ScriptedModel, type TcpProxy, type TestDatabase } from '@stratus/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { allEvents, MODEL, newSession, ofType, scriptedProviders, stackEnv, startApi, textOf, type InProcessApi } from './harness';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

// A real worker process under infrastructure faults: PostgreSQL cut (through a TCP proxy in front of
// the worker's connections only, so the API in this process can still take messages) while turns fail
// and finish, a Redis of the test's own restarted, empty, under a running turn, and a job's lock lost
// under a live run. The worker must live through all of them (an unhandled rejection would end it),
// never run one turn twice at once, and leave no session processing.

let db: TestDatabase;
let proxy: TcpProxy;
let redis: OwnRedis;
let model: ScriptedModel;
let api: InProcessApi;
let sandboxDir: string;
let worker: WorkerProcess;
let redisKeyPrefix: string;

/** The scripted model: a user message `run: <command>` gets a Bash call of the command, anything else the text "done". */
function reply(messages: { role: string; content?: unknown }[]) {
  const last = messages.at(-1);
  const command = last?.role === 'user' ? /run: ([^"\\]+)/.exec(JSON.stringify(last.content))?.[1] : undefined;
  return command ? { kind: 'tool_calls' as const, calls: [{ name: 'Bash', arguments: { command } }] } : { kind: 'text' as const, text: 'done' };
}

const send = (sessionId: string, content: string) => api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content }] });

/** Waits until the session is idle after `turns` turns; returns its events. */
const idleAfter = (sessionId: string, turns: number) =>
  eventually(
    async () => {
      const [session, events] = await Promise.all([api.stratus.sessions.retrieve(sessionId), allEvents(api.stratus, sessionId)]);
      return session.status === 'idle' && ofType(events, 'session.status_idle').length >= turns ? events : undefined;
    },
    120_000,
    `${sessionId} to be idle after ${turns} turn(s)`,
  );

/** Gap-free sequence, each dedupe key once. */
async function expectCleanLog(sessionId: string): Promise<void> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ seq: number; dedupe_key: string | null }>('SELECT seq, dedupe_key FROM events WHERE session_id = $1 ORDER BY seq', [sessionId]);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    const keys = rows.map((r) => r.dedupe_key).filter((k) => k !== null);
    expect(new Set(keys).size).toBe(keys.length);
  } finally {
    await client.end();
  }
}

/** Starts a `sleep` in the session's sandbox and waits until it runs; returns a function that ends it. */
async function runningCommand(sessionId: string): Promise<() => Promise<void>> {
  const marker = `${80 + Math.random()}`;
  await send(sessionId, `run: sleep ${marker}`);
  await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 60_000, `the command of ${sessionId} to run`);
  return async () => {
    for (const pid of await pidsWithArgument(marker)) process.kill(pid, 'SIGKILL');
  };
}

beforeAll(async () => {
  db = await createTestDatabase('stratus_faults');
  proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
  redis = await startOwnRedis();
  model = await startScriptedModel({ models: [MODEL], respond: (request) => reply(request.body.messages) });
  sandboxDir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-')));
  redisKeyPrefix = testRedisPrefix();
  const env = { ...stackEnv(db, redisKeyPrefix, sandboxDir), REDIS_URL: redis.url, STRATUS_MODEL_PROVIDERS: scriptedProviders(model) };
  const proxied = new URL(db.url);
  proxied.port = String(proxy.port);
  worker = await startWorkerProcess({
    ...env,
    DATABASE_URL: proxied.toString(),
    LOG_LEVEL: 'debug',
    // The safety net that resumes turns whose jobs failed for good while PostgreSQL was down.
    STRATUS_TURN_RECOVERY_INTERVAL_MS: '1000',
    // A model call that hangs stays in flight until the test ends it.
    STRATUS_MODEL_TIMEOUT_MS: '120000',
    STRATUS_MODEL_IDLE_TIMEOUT_MS: '120000',
  });
  process.env.STRATUS_MODEL_PROVIDERS = env.STRATUS_MODEL_PROVIDERS;
  api = await startApi(env);
}, 120_000);

afterAll(async () => {
  let stopped = true;
  if (worker?.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    stopped = await Promise.race([worker.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 30_000)))]);
    clearTimeout(timer);
    if (!stopped) worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await api?.app.close();
  await model?.close();
  await proxy?.close();
  await redis?.kill();
  await db?.drop();
  await removeSandboxBase(sandboxDir);
  delete process.env.STRATUS_MODEL_PROVIDERS;
  if (!stopped) throw new Error('the worker did not stop within 30 s of SIGTERM');
}, 120_000);

it('PostgreSQL down until turn jobs fail for good: the worker lives on, and the turns end once it is back', async () => {
  const interrupted = await newSession(api.stratus);
  const queued = await newSession(api.stratus);
  const endCommand = await runningCommand(interrupted);
  await proxy.cut();
  // Stored by the API (which reaches PostgreSQL directly); the worker cannot claim it.
  await send(queued, 'hello');
  // The running turn cannot store the command's result.
  await endCommand();

  // Every attempt fails while PostgreSQL is down; the last one's handler cannot load the session either.
  for (const sessionId of [interrupted, queued]) {
    await worker.waitForLog((e) => e.msg === 'job failed' && e.final === true && String(e.jobId).startsWith(`${sessionId}-`), `the job of ${sessionId} to fail for good`, 120_000);
    await worker.waitForLog((e) => e.msg?.startsWith('could not end the failed turn') === true && e.sessionId === sessionId, `the failed turn of ${sessionId} to be left to the sweep`);
  }
  expect(worker.log.some((e) => e.msg?.startsWith('unhandled promise rejection'))).toBe(false);
  await proxy.restore();

  const [queuedLog, interruptedLog] = await Promise.all([idleAfter(queued, 1), idleAfter(interrupted, 1)]);
  expect(textOf(ofType(queuedLog, 'agent.message')[0])).toBe('done');
  expect(ofType(interruptedLog, 'agent.tool_result')).toHaveLength(1);
  expect(textOf(ofType(interruptedLog, 'agent.message')[0])).toBe('done');
  await expectCleanLog(queued);
  await expectCleanLog(interrupted);

  // The same process carries on with new turns.
  await send(queued, 'again');
  expect(ofType(await idleAfter(queued, 2), 'agent.message')).toHaveLength(2);
  expect(worker.child.exitCode).toBeNull();
}, 300_000);

it('Redis restarted empty under a running turn: the turn ends, and the worker takes new turns from the new Redis', async () => {
  const sessionId = await newSession(api.stratus);
  const endCommand = await runningCommand(sessionId);
  await redis.kill();
  await redis.start();
  await endCommand();

  const log = await idleAfter(sessionId, 1);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('done');
  await send(sessionId, 'again');
  expect(ofType(await idleAfter(sessionId, 2), 'agent.message')).toHaveLength(2);
  await expectCleanLog(sessionId);
  expect(worker.child.exitCode).toBeNull();
}, 300_000);

it('a run that lost its job\'s lock stops, and the attempt that takes the job over runs the turn alone', async () => {
  const sessionId = await newSession(api.stratus);
  const marker = `${90 + Math.random()}`;
  await send(sessionId, `run: sleep ${marker}`);
  await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 60_000, 'the command to run');
  const { jobId } = await worker.waitForLog((e) => e.msg === 'turn job started' && e.sessionId === sessionId, 'the turn job to start');
  const requestsBefore = model.requests.length;
  // The attempt that takes over asks the model and waits there, until the test interrupts it.
  model.script({ kind: 'hang' });
  // What an event loop stalled past the lock leaves in Redis: the lock is gone while the run goes on.
  const client = new Redis(redis.url);
  try {
    expect(await client.del(`${queuePrefix(redisKeyPrefix)}:session-turns:${String(jobId)}:lock`)).toBe(1);
  } finally {
    client.disconnect();
  }

  await worker.waitForLog((e) => e.msg?.startsWith('turn stopped here: its job lock was lost') === true && e.sessionId === sessionId, 'the first run to stop');
  await eventually(async () => ((await pidsWithArgument(marker)).length === 0 ? true : undefined), 60_000, 'its command to end with it');
  await worker.waitForLog((e) => e.msg?.startsWith('taking over a session') === true && e.sessionId === sessionId, 'another attempt of the job to take the session over');
  await eventually(async () => (model.requests.length > requestsBefore ? true : undefined), 60_000, 'the new attempt to ask the model');
  // Only the new attempt asked the model: the first run did not go on beside it.
  expect(model.requests.length).toBe(requestsBefore + 1);

  await api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] });
  const log = await idleAfter(sessionId, 1);
  expect(ofType(log, 'agent.tool_use')).toHaveLength(1);
  expect(ofType(log, 'agent.tool_result')).toHaveLength(1);
  expect(ofType(log, 'agent.message')).toHaveLength(0);
  expect(ofType(log, 'session.status_running')).toHaveLength(1);
  await expectCleanLog(sessionId);
  expect(worker.child.exitCode).toBeNull();
}, 300_000);
