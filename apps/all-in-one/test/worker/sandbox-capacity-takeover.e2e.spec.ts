import { eventually } from '@stratus/testing';
import { newSession as createSession, ofType, textOf } from './harness';
import type { WorkerProcess } from './worker-process';
import { startWorkerStack, type WorkerStack } from './worker-stack';

// Two real worker processes sharing a workspace cap of one live sandbox, and the API in this process.
// The cap is taken by a sandbox another worker holds for a busy session (written into the ledger as
// that worker would have); a turn waits for a sandbox, its worker is SIGKILLed, and the other worker
// takes the turn over through BullMQ's stalled-job check: it waits in the same place in line, runs the
// tool call (which never started) once the cap allows, and leaves nothing of the dead worker behind.

let stack: WorkerStack;

const sql = <T = any>(query: string, params: unknown[] = []): Promise<T[]> => stack.sql<T>(query, params);
const newSession = (): Promise<string> => createSession(stack.api.stratus);

/** The ledger's id of a worker process (SandboxCapacityService.workerId: host, pid, random). */
const isWorker = (workerId: string, worker: WorkerProcess) => workerId.includes(`-${worker.child.pid}-`);

beforeAll(async () => {
  stack = await startWorkerStack('stratus_capacity_takeover', {
    workers: 2,
    env: { LOG_LEVEL: 'debug', STRATUS_SANDBOX_MAX_PER_WORKSPACE: '1', STRATUS_SANDBOX_WAIT_POLL_MS: '100' },
  });
}, 120_000);

afterAll(() => stack?.close(), 60_000);

it('a worker killed while its turn waits for a sandbox: the other worker takes the turn over in its place in line and runs the tool call', async () => {
  // The cap's one sandbox, held elsewhere by a session whose turn is running.
  const blocker = await newSession();
  await sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [blocker]);
  await sql(`INSERT INTO sandbox_slots (session_id, workspace_id, worker_id, last_used_at) SELECT id, workspace_id, 'another-worker', now() FROM sessions WHERE id = $1`, [blocker]);

  const sessionId = await newSession();
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo handed over' } }] }, { kind: 'text', text: 'done' });
  await stack.send(sessionId, 'run it');
  await eventually(async () => ((await stack.events(sessionId)).some((e) => e.detail === 'waiting_for_sandbox') ? true : undefined), 60_000, 'the turn to wait for a sandbox');
  const [line] = await sql<{ worker_id: string; ticket: string }>('SELECT worker_id, ticket FROM sandbox_waiters WHERE session_id = $1', [sessionId]);
  const waiting = stack.workers.find((w) => isWorker(line!.worker_id, w))!;
  const other = stack.workers.find((w) => w !== waiting)!;

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
  const log = await stack.turnEnded(sessionId);
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
