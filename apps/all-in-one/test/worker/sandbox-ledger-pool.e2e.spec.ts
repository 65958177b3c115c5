import { Client } from 'pg';
import { eventually } from '@stratus/testing';
import { SandboxSlotsRepository } from '@stratus/worker';
import { startStack, type Stack } from './harness';

// Turns waiting for a sandbox ask the ledger again and again (all at once when a slot frees), and its
// decisions queue for one advisory lock per workspace and per worker. Here the worker has two pooled
// connections and a short wait for one.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ STRATUS_WORKER_DATABASE_POOL_SIZE: '2', DATABASE_POOL_TIMEOUT_MS: '2000' });
});
afterAll(() => stack?.close());

describe("the sandbox ledger and the worker's pool", () => {
  it("queues the worker's decisions in the process: while they wait for the ledger's lock, one holds a connection and the pool serves the rest", async () => {
    const sessions = await Promise.all([1, 2, 3, 4].map(() => stack.session()));
    const [session] = await stack.sql<{ workspace_id: string }>('SELECT workspace_id FROM sessions WHERE id = $1', [sessions[0]]);
    const workspaceId = session!.workspace_id;
    const ledger = stack.app.get(SandboxSlotsRepository);

    // Another worker deciding for the same workspace holds its lock.
    const other = new Client({ connectionString: stack.db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`stratus.sandbox-slots.workspace:${workspaceId}`]);
      const decisions = sessions.map((sessionId) =>
        ledger.take({ sessionId, workspaceId, workerId: 'worker-a', workspaceCap: 50, workerCap: 50, staleBefore: new Date(0) }),
      );
      const lockWaiters = async () =>
        (await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0]!.n;
      await eventually(async () => ((await lockWaiters()) >= 1 ? true : undefined), 15_000, 'a decision waiting for the lock');
      // The pool still answers the worker's other queries, and only one decision is in PostgreSQL's line.
      await expect(ledger.forget(sessions[0]!)).resolves.toBeUndefined();
      expect(await lockWaiters()).toBe(1);
      await other.query('COMMIT');
      expect(await Promise.all(decisions)).toEqual(sessions.map(() => ({ kind: 'granted', existing: false })));
    } finally {
      await other.end();
    }
  });
});
