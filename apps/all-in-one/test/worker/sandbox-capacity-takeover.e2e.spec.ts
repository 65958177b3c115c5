import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, eventually, removeSandboxBase, sql as runSql, startScriptedModel, testRedisPrefix, type ScriptedModel, type TestDatabase } from '@stratus/testing';
import { allEvents, MODEL, newSession as createSession, ofType, scriptedProviders, stackEnv, startApi, textOf, type InProcessApi } from './harness';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

// Two real worker processes sharing a workspace cap of one live sandbox, and the API in this process.
// The cap is taken by a sandbox another worker holds for a busy session (written into the ledger as
// that worker would have); a turn waits for a sandbox, its worker is SIGKILLed, and the other worker
// takes the turn over through BullMQ's stalled-job check: it waits in the same place in line, runs the
// tool call (which never started) once the cap allows, and leaves nothing of the dead worker behind.

let db: TestDatabase;
let model: ScriptedModel;
let api: InProcessApi;
let sandboxDir: string;
const workers: WorkerProcess[] = [];

const sql = <T = any>(query: string, params: unknown[] = []): Promise<T[]> => runSql<T>(db.url, query, params);
const events = (sessionId: string): Promise<any[]> => allEvents(api.stratus, sessionId);
const newSession = (): Promise<string> => createSession(api.stratus);

/** The ledger's id of a worker process (SandboxCapacityService.workerId: host, pid, random). */
const isWorker = (workerId: string, worker: WorkerProcess) => workerId.includes(`-${worker.child.pid}-`);

beforeAll(async () => {
  db = await createTestDatabase('stratus_capacity_takeover');
  model = await startScriptedModel({ models: [MODEL] });
  sandboxDir = await realpath(await mkdtemp(path.join(tmpdir(), 'wk-')));
  const workerEnv = {
    ...stackEnv(db, testRedisPrefix(), sandboxDir, { LOG_LEVEL: 'debug', STRATUS_SANDBOX_MAX_PER_WORKSPACE: '1', STRATUS_SANDBOX_WAIT_POLL_MS: '100' }),
    STRATUS_MODEL_PROVIDERS: scriptedProviders(model),
  };
  process.env.STRATUS_MODEL_PROVIDERS = workerEnv.STRATUS_MODEL_PROVIDERS;
  api = await startApi(workerEnv);
  workers.push(...(await Promise.all([startWorkerProcess(workerEnv), startWorkerProcess(workerEnv)])));
}, 120_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await api?.app.close();
  await model?.close();
  await db?.drop();
  await removeSandboxBase(sandboxDir);
  delete process.env.STRATUS_MODEL_PROVIDERS;
}, 30_000);

it('a worker killed while its turn waits for a sandbox: the other worker takes the turn over in its place in line and runs the tool call', async () => {
  // The cap's one sandbox, held elsewhere by a session whose turn is running.
  const blocker = await newSession();
  await sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [blocker]);
  await sql(`INSERT INTO sandbox_slots (session_id, workspace_id, worker_id, last_used_at) SELECT id, workspace_id, 'another-worker', now() FROM sessions WHERE id = $1`, [blocker]);

  const sessionId = await newSession();
  model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo handed over' } }] }, { kind: 'text', text: 'done' });
  await api.stratus.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: 'run it' }] });
  await eventually(async () => ((await events(sessionId)).some((e) => e.detail === 'waiting_for_sandbox') ? true : undefined), 60_000, 'the turn to wait for a sandbox');
  const [line] = await sql<{ worker_id: string; ticket: string }>('SELECT worker_id, ticket FROM sandbox_waiters WHERE session_id = $1', [sessionId]);
  const waiting = workers.find((w) => isWorker(line!.worker_id, w))!;
  const other = workers.find((w) => w !== waiting)!;

  waiting.child.kill('SIGKILL');
  await other.waitForLog((e) => e.msg === 'turn job started' && e.sessionId === sessionId, `the other worker to take ${sessionId} over`, 120_000);
  // It waits in the dead worker's place: same ticket, renewed under its own id.
  await eventually(
    async () => {
      const [row] = await sql<{ worker_id: string; ticket: string }>('SELECT worker_id, ticket FROM sandbox_waiters WHERE session_id = $1', [sessionId]);
      return row && isWorker(row.worker_id, other) ? row : undefined;
    },
    60_000,
    'the waiting turn to be renewed by the other worker',
  ).then((row) => expect(row.ticket).toBe(line!.ticket));

  // The busy session's turn ends: its sandbox is idle, and makes room.
  await sql(`UPDATE sessions SET status = 'idle' WHERE id = $1`, [blocker]);
  const log = await eventually(
    async () => {
      const all = await events(sessionId);
      return all.at(-1)?.type === 'session.status_idle' ? all : undefined;
    },
    90_000,
    `the turn of ${sessionId} to end on the other worker`,
  );
  expect(ofType(log, 'session.error')).toEqual([]);
  const results = ofType(log, 'agent.tool_result');
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({ is_error: false });
  expect(textOf(results[0])).toBe('handed over');
  expect(log.filter((e) => e.detail === 'waiting_for_sandbox')).toHaveLength(1);
  expect(textOf(ofType(log, 'agent.message')[0])).toBe('done');

  // Nothing of the dead worker is left in the ledger: no waiter, no slot; the session's slot is the other worker's.
  expect(await sql('SELECT session_id FROM sandbox_waiters')).toEqual([]);
  const slots = await sql<{ session_id: string; worker_id: string }>('SELECT session_id, worker_id FROM sandbox_slots');
  expect(slots.map((slot) => slot.session_id)).toEqual([sessionId]);
  expect(isWorker(slots[0]!.worker_id, other)).toBe(true);
}, 240_000);
