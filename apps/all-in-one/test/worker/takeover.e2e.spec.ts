import { spawn } from 'node:child_process';
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, eventually, removeSandboxBase, pidsWithArgument, startScriptedModel, testRedisPrefix, type ScriptedModel, type TestDatabase } from '@stratus/testing';
import { Client } from 'pg';
import { allEvents, MODEL, newSession, ofType, scriptedProviders, stackEnv, startApi, textOf, type InProcessApi } from './harness';
import { startWorkerProcess, WORKER_MAIN, type WorkerProcess } from './worker-process';

// Two (then three) real worker processes, built as deployed, and the API in this process: a worker is
// SIGKILLed in the middle of a turn, and another takes the turn over through BullMQ's stalled-job check,
// with the default lock and stalled-check settings. Every wait is on a condition with a generous bound
// (the machine may be loaded); the takeover time is printed, never asserted (bench/ measures it).

let db: TestDatabase;
let model: ScriptedModel;
let api: InProcessApi;
let sandboxDir: string;
let workerEnv: Record<string, string>;
const workers: WorkerProcess[] = [];

const startWorker = () => startWorkerProcess(workerEnv);

const events = (sessionId: string) => allEvents(api.stratus, sessionId);
const send = (sessionId: string, content: string) => api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content }] });

/** The live worker that started the session's turn job. */
const ownerOf = (sessionId: string) => eventually(async () => workers.find((w) => w.child.exitCode === null && w.started.has(sessionId)), 60_000, `the worker running ${sessionId}`);

/** Kills the worker running the session's turn; resolves once another worker has started the turn's job again, printing how long that took. */
async function killOwner(sessionId: string): Promise<WorkerProcess> {
  const owner = await ownerOf(sessionId);
  const others = workers.filter((w) => w !== owner && w.child.exitCode === null);
  const killedAt = Date.now();
  owner.child.kill('SIGKILL');
  await Promise.any(others.map((w) => w.waitForLog((entry) => entry.msg === 'turn job started' && entry.sessionId === sessionId, `another worker to resume ${sessionId}`, 120_000)));
  console.log(`takeover of ${sessionId} after SIGKILL: ${Date.now() - killedAt} ms`);
  return owner;
}

const idleAfterTakeover = (sessionId: string) =>
  eventually(
    async () => {
      const all = await events(sessionId);
      return all.at(-1)?.type === 'session.status_idle' ? all : undefined;
    },
    90_000,
    `the turn of ${sessionId} to end on another worker`,
  );

/** Asserts what makes a log trustworthy after a takeover: gap-free sequence, each dedupe key once. */
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

beforeAll(async () => {
  db = await createTestDatabase('stratus_takeover');
  model = await startScriptedModel({ models: [MODEL] });
  sandboxDir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-')));
  workerEnv = {
    ...stackEnv(db, testRedisPrefix(), sandboxDir, { LOG_LEVEL: 'debug', STRATUS_MODEL_IDLE_TIMEOUT_MS: '60000' }),
    STRATUS_MODEL_PROVIDERS: scriptedProviders(model),
  };
  // The API's model catalog is read from the process environment, as in a deployment.
  process.env.STRATUS_MODEL_PROVIDERS = workerEnv.STRATUS_MODEL_PROVIDERS;
  api = await startApi(workerEnv);
  workers.push(...(await Promise.all([startWorker(), startWorker(), startWorker()])));
}, 120_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await api?.app.close();
  await model?.close();
  await db?.drop();
  await removeSandboxBase(sandboxDir);
  delete process.env.STRATUS_MODEL_PROVIDERS;
}, 120_000);

it('a worker whose event loop stalls past its lock: another takes the turn over, and the stalled one, once awake, stops without writing', async () => {
  const sessionId = await newSession(api.stratus);
  const first = model.requests.length;
  model.script({ kind: 'text', text: 'never completed', stallAfterChunks: 2 }, { kind: 'text', text: 'taken over' });
  await send(sessionId, 'hi');
  await eventually(async () => (model.requests.length > first ? true : undefined), 60_000, 'the model request');
  const stalled = await ownerOf(sessionId);
  const others = workers.filter((w) => w !== stalled && w.child.exitCode === null);
  // SIGSTOP freezes the whole process, timers and all: a stall of the event loop as long as the test wants.
  const stalledAt = Date.now();
  stalled.child.kill('SIGSTOP');
  try {
    await Promise.any(others.map((w) => w.waitForLog((e) => e.msg === 'turn job started' && e.sessionId === sessionId, `another worker to take ${sessionId} over`, 120_000)));
    console.log(`takeover of ${sessionId} from a stalled worker: ${Date.now() - stalledAt} ms`);
    await idleAfterTakeover(sessionId);
  } finally {
    stalled.child.kill('SIGCONT');
  }
  // Awake, the stalled worker finds its lock gone and stops its run (or fails its next commit).
  await stalled.waitForLog((e) => (e.msg?.startsWith('turn stopped here: its job lock was lost') === true || e.msg === 'turn taken over by another job') && e.sessionId === sessionId, 'the stalled run to stop');

  const log = await events(sessionId);
  expect(log.map((e) => e.type)).toEqual([
    'user.message',
    'session.status_running',
    'span.model_request_start',
    'span.model_request_end',
    'span.model_request_start',
    'agent.message',
    'span.model_request_end',
    'session.status_idle',
  ]);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('taken over');
  expect(model.requests.length - first).toBe(2);
  await expectCleanLog(sessionId);
  expect(stalled.child.exitCode).toBeNull();
}, 240_000);

it('a worker killed while a tool runs: another resumes the turn, reports the call as interrupted and does not run it again', async () => {
  const sessionId = await newSession(api.stratus);
  const marker = `${60 + Math.random()}`;
  model.script(
    { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `echo run >> runs.txt; sleep ${marker}` } }] },
    { kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'cat runs.txt' } }] },
    { kind: 'text', text: 'done' },
  );
  await send(sessionId, 'go');
  await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 60_000, 'the command to run');
  const owner = await killOwner(sessionId);
  // The sandbox goes down with its worker, command and all.
  await eventually(async () => ((await pidsWithArgument(marker)).length === 0 ? true : undefined), 30_000, 'the command to die with its worker');

  const log = await idleAfterTakeover(sessionId);
  expect(workers.some((w) => w !== owner && w.started.has(sessionId))).toBe(true);
  expect(log.map((e) => e.type)).toEqual([
    'user.message',
    'session.status_running',
    'span.model_request_start',
    'agent.tool_use',
    'span.model_request_end',
    'agent.tool_result',
    'span.model_request_start',
    'agent.tool_use',
    'span.model_request_end',
    'agent.tool_result',
    'span.model_request_start',
    'agent.message',
    'span.model_request_end',
    'session.status_idle',
  ]);
  const [interrupted, second] = ofType(log, 'agent.tool_result');
  expect(interrupted).toMatchObject({ is_error: true, tool_use_id: ofType(log, 'agent.tool_use')[0].id });
  expect(textOf(interrupted)).toMatch(/not repeated/);
  // The interrupted command ran once: the file it appends to has one line.
  expect(textOf(second)).toBe('run');
  expect(log.at(-1).stop_reason).toEqual({ type: 'end_turn' });
  await expectCleanLog(sessionId);
}, 240_000);

it('a worker killed while the model streams: another closes the span as failed and asks the model again', async () => {
  const sessionId = await newSession(api.stratus);
  const first = model.requests.length;
  model.script({ kind: 'text', text: 'never completed', stallAfterChunks: 2 }, { kind: 'text', text: 'recovered' });
  await send(sessionId, 'hi');
  await eventually(async () => (model.requests.length > first ? true : undefined), 60_000, 'the model request');
  await killOwner(sessionId);

  const log = await idleAfterTakeover(sessionId);
  expect(log.map((e) => e.type)).toEqual([
    'user.message',
    'session.status_running',
    'span.model_request_start',
    'span.model_request_end',
    'span.model_request_start',
    'agent.message',
    'span.model_request_end',
    'session.status_idle',
  ]);
  const [start1, start2] = ofType(log, 'span.model_request_start');
  expect(ofType(log, 'span.model_request_end')).toEqual([
    expect.objectContaining({ model_request_start_id: start1.id, is_error: true }),
    expect.objectContaining({ model_request_start_id: start2.id, is_error: false }),
  ]);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('recovered');
  expect(model.requests.length - first).toBe(2);
  await expectCleanLog(sessionId);
}, 240_000);

it('a worker shut down in the middle of a turn hands it back to the queue, and another resumes it at once', async () => {
  workers.push(await startWorker());
  const sessionId = await newSession(api.stratus);
  const marker = `${70 + Math.random()}`;
  model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: `sleep ${marker}` } }] }, { kind: 'text', text: 'resumed' });
  await send(sessionId, 'go');
  await eventually(async () => ((await pidsWithArgument(marker)).length > 0 ? true : undefined), 60_000, 'the command to run');
  const owner = await ownerOf(sessionId);
  owner.child.kill('SIGTERM');
  await owner.exited;
  expect(owner.handedBack.has(sessionId)).toBe(true);

  const log = await idleAfterTakeover(sessionId);
  expect(workers.some((w) => w !== owner && w.started.has(sessionId))).toBe(true);
  expect(ofType(log, 'session.status_running')).toHaveLength(1);
  expect(textOf(ofType(log, 'agent.tool_result')[0])).toMatch(/not repeated/);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('resumed');
  await expectCleanLog(sessionId);
}, 240_000);

it('a worker refuses to start with a queue it does not know, naming the variable', async () => {
  const child = spawn(process.execPath, [WORKER_MAIN], { env: { ...process.env, ...workerEnv, STRATUS_WORKER_QUEUES: 'session-turns,webhooks' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toMatch(/STRATUS_WORKER_QUEUES: unknown queue "webhooks"/);
});
