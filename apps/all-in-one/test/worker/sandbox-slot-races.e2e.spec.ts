import { Client } from 'pg';
import { eventually } from '@stratus/testing';
import { SandboxSlotsRepository, SessionContextRepository, turnOwner } from '@stratus/worker';
import { startStack, type Stack } from './harness';

// A turn job that finds its session's sandbox slot live, booked on its worker, uses the sandbox without
// asking the ledger. That holds only if no reap takes the slot of a session that is starting a turn:
// here another connection holds the row a reap or a turn job reads, uncommitted, at the worst moment.
// The stack's worker consumes no turns: the test plays the turn job and the reaper itself.

let stack: Stack;
let other: Client;
beforeAll(async () => {
  stack = await startStack({ STRATUS_WORKER_QUEUES: 'sandbox-lifecycle' });
});
afterAll(() => stack?.close());
beforeEach(async () => {
  other = new Client({ connectionString: stack.db.url });
  await other.connect();
});
afterEach(async () => {
  await other.end();
  await stack.sql('DELETE FROM sandbox_slots');
  await stack.sql(`UPDATE sessions SET status = 'idle', turn_job_id = NULL`);
});

/** A session with a live slot booked on `workerId` (its last turn over: idle). */
async function sessionWithSlot(workerId: string): Promise<{ sessionId: string; workspaceId: string }> {
  const sessionId = await stack.session();
  const [{ workspace_id: workspaceId }] = await stack.sql('SELECT workspace_id FROM sessions WHERE id = $1', [sessionId]);
  await stack.sql(`INSERT INTO sandbox_slots (session_id, workspace_id, worker_id, last_used_at) VALUES ($1, $2, $3, now())`, [sessionId, workspaceId, workerId]);
  return { sessionId, workspaceId };
}

const lockWaiters = async () =>
  (await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0]!.n;

/** Starts `act` while `other` holds its uncommitted change; commits once `act` waits for it (or is done without waiting). */
async function racing<T>(act: () => Promise<T>): Promise<T> {
  let settled = false;
  const result = act().finally(() => (settled = true));
  await eventually(async () => settled || (await lockWaiters()) >= 1, 15_000, 'the statement to wait for the uncommitted change, or to be done');
  await other.query('COMMIT');
  return result;
}

describe('the sandbox slot of a session starting a turn', () => {
  it('is not claimed by a reap while the session is being woken: the reap waits, then finds it busy', async () => {
    const { sessionId } = await sessionWithSlot('worker-a');
    await other.query('BEGIN');
    await other.query(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [sessionId]);

    expect(await racing(() => stack.app.get(SandboxSlotsRepository).claimForReap(sessionId))).toBe('busy');
    expect(await stack.sql('SELECT state FROM sandbox_slots WHERE session_id = $1', [sessionId])).toEqual([{ state: 'live' }]);
  });

  it('is passed over by an eviction to make room while the session is being woken', async () => {
    const { sessionId, workspaceId } = await sessionWithSlot('worker-a');
    const waiter = await stack.session();
    await stack.sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [waiter]);
    await other.query('BEGIN');
    await other.query(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [sessionId]);

    const ledger = stack.app.get(SandboxSlotsRepository);
    const decision = await ledger.take({ sessionId: waiter, workspaceId, workerId: 'worker-b', workspaceCap: 1, workerCap: 5, staleBefore: new Date(0) });
    await other.query('COMMIT');
    expect(decision).toEqual({ kind: 'waiting' });
    expect(await stack.sql('SELECT state FROM sandbox_slots WHERE session_id = $1', [sessionId])).toEqual([{ state: 'live' }]);
    await ledger.leave(waiter, 'worker-b');
  });

  it('is read by the claiming turn job as it is after a reap that marked it evicting meanwhile', async () => {
    const { sessionId } = await sessionWithSlot('worker-a');
    await stack.sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [sessionId]);
    const sessions = stack.app.get(SessionContextRepository);

    // Claimed with its slot live: the turn may use the sandbox on worker-a.
    const steady = await sessions.load(sessionId, turnOwner(`${sessionId}-1`, 'lock-1'));
    expect({ claimed: steady?.claimed, liveSlotWorker: steady?.context.liveSlotWorker }).toEqual({ claimed: true, liveSlotWorker: 'worker-a' });

    // A reap (which saw the session idle) marks the slot evicting and commits while the next claim reads it.
    await stack.sql(`UPDATE sessions SET turn_job_id = NULL WHERE id = $1`, [sessionId]);
    await other.query('BEGIN');
    await other.query(`UPDATE sandbox_slots SET state = 'evicting' WHERE session_id = $1`, [sessionId]);
    const next = await racing(() => sessions.load(sessionId, turnOwner(`${sessionId}-2`, 'lock-2')));
    expect({ claimed: next?.claimed, liveSlotWorker: next?.context.liveSlotWorker }).toEqual({ claimed: true, liveSlotWorker: null });
  });
});
