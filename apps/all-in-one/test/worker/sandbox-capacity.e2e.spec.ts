import type { SandboxProvider } from '@stratus/sandbox';
import { eventually } from '@stratus/testing';
import { SANDBOX_PROVIDER, SandboxSlotsRepository } from '@stratus/worker';
import { ofType, startStack, textOf, type Stack } from './harness';

// The cap on live sandboxes per workspace (here 2): a turn past it waits in line, visibly, and runs once
// a sandbox is free; idle sandboxes make room least recently used first, before their idle timeout.
// Whether a session has a sandbox is asked of the provider; the ledger is read from PostgreSQL.

const WAITING = (event: any) => event.type === 'session.status_running' && event.detail === 'waiting_for_sandbox';

let stack: Stack;
let provider: SandboxProvider;
beforeAll(async () => {
  stack = await startStack({
    STRATUS_SANDBOX_MAX_PER_WORKSPACE: '2',
    STRATUS_SANDBOX_WAIT_POLL_MS: '100',
    // Replies that stall mid-stream keep their turn (and its sandbox) busy until the test cancels it.
    STRATUS_MODEL_IDLE_TIMEOUT_MS: '60000',
  });
  provider = stack.app.get<SandboxProvider>(SANDBOX_PROVIDER);
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  // Each test starts with the workspace's sandboxes gone (deleting a session destroys its sandbox and slot).
  for (const { id } of await stack.sql('SELECT id FROM sessions')) await stack.request('DELETE', `/sessions/${id}`);
});

const modelStarts = async (sessionId: string) => ofType(await stack.events(sessionId), 'span.model_request_start').length;

/** A session whose turn ran Bash and now streams a reply that never ends: busy, holding its sandbox. */
async function busySession(): Promise<string> {
  const sessionId = await stack.session();
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'true' } }] }, { kind: 'text', text: 'never finished', stallAfterChunks: 1 });
  await stack.send(sessionId, { type: 'user.message', content: 'hold on' });
  // Its second model request is under way (the script is consumed in order, across sessions).
  await eventually(async () => ((await modelStarts(sessionId)) >= 2 ? true : undefined), 15_000, `the second model request of ${sessionId}`);
  return sessionId;
}

/** A session whose turn ran Bash and ended. */
async function idleSession(command: string): Promise<string> {
  const sessionId = await stack.session();
  await toolTurn(sessionId, command, 1);
  return sessionId;
}

async function toolTurn(sessionId: string, command: string, turns: number): Promise<any[]> {
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command } }] }, { kind: 'text', text: 'done' });
  await stack.send(sessionId, { type: 'user.message', content: command });
  return stack.idle(sessionId, turns);
}

const slots = async () => (await stack.sql<{ session_id: string }>('SELECT session_id FROM sandbox_slots ORDER BY session_id')).map((row) => row.session_id);

describe('the per-workspace cap', () => {
  it('makes a turn past it wait, visibly and without an error, until a sandbox is free, then run', async () => {
    const first = await busySession();
    const second = await busySession();
    expect((await slots()).sort()).toEqual([first, second].sort());

    const third = await stack.session();
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'echo finally' } }] }, { kind: 'text', text: 'done' });
    await stack.send(third, { type: 'user.message', content: 'run it' });
    await stack.until(third, 'session.status_running', WAITING);
    // Both sandboxes are busy: none may be evicted, so the third waits, in line, with no sandbox of its own.
    expect(await provider.get(third)).toBeUndefined();
    expect(await stack.sql('SELECT session_id FROM sandbox_waiters')).toEqual([{ session_id: third }]);
    expect((await stack.request('GET', `/sessions/${third}`)).body.status).toBe('processing');

    // The first turn ends: its sandbox is idle, so it makes room for the waiting turn.
    expect((await stack.request('POST', `/sessions/${first}/cancel`)).status).toBe(202);
    const events = await stack.idle(third);
    expect(ofType(events, 'session.error')).toEqual([]);
    const [result] = ofType(events, 'agent.tool_result');
    expect(result).toMatchObject({ is_error: false });
    expect(textOf(result)).toBe('finally');
    // Waiting, then running again before the call started, then its result.
    const order = events.filter((e) => e.type === 'session.status_running' || e.type === 'agent.tool_result').map((e) => (e.detail ? `running:${e.detail}` : e.type));
    expect(order).toEqual(['session.status_running', 'running:waiting_for_sandbox', 'session.status_running', 'agent.tool_result']);
    expect(await provider.get(first)).toBeUndefined();
    expect((await slots()).sort()).toEqual([second, third].sort());
    expect(await stack.sql('SELECT session_id FROM sandbox_waiters')).toEqual([]);

    expect((await stack.request('POST', `/sessions/${second}/cancel`)).status).toBe(202);
    await stack.idle(second);
  });

  it('reaps the least recently used idle sandbox to make room, before its idle timeout', async () => {
    const older = await idleSession('echo older');
    const newer = await idleSession('echo newer');
    // The older session is used again: the newer one is now the least recently used.
    await toolTurn(older, 'echo used again', 2);
    const kept = await provider.get(older);

    const third = await stack.session();
    const events = await toolTurn(third, 'echo third', 1);
    expect(ofType(events, 'session.error')).toEqual([]);
    expect(textOf(ofType(events, 'agent.tool_result')[0])).toBe('third');
    expect(await provider.get(newer)).toBeUndefined();
    expect((await provider.get(older))?.token).toBe(kept!.token);
    expect((await slots()).sort()).toEqual([older, third].sort());

    // The reaped session gets a sandbox again when it needs one, making room the same way.
    const again = await toolTurn(newer, 'echo back', 2);
    expect(textOf(ofType(again, 'agent.tool_result')[1])).toBe('back');
    expect(await provider.get(older)).toBeUndefined();
  });
});

describe('the ledger, as several workers share it', () => {
  it('counts each worker\'s cap apart, serves the line in order, evicts only idle sandboxes, and skips waiters of dead workers', async () => {
    const ledger = stack.app.get(SandboxSlotsRepository);
    const [a, b, c, d] = [await stack.session(), await stack.session(), await stack.session(), await stack.session()];
    const [{ workspace_id: workspaceId }] = await stack.sql('SELECT workspace_id FROM sessions WHERE id = $1', [a]);
    // Turns run in all four: none of their sandboxes may be evicted.
    await stack.sql(`UPDATE sessions SET status = 'processing' WHERE id = ANY($1)`, [[a, b, c, d]]);
    const take = (sessionId: string, workerId: string) => ledger.take({ sessionId, workspaceId, workerId, workspaceCap: 2, workerCap: 1, staleBefore: new Date(Date.now() - 60_000) });

    expect(await take(a, 'worker-1')).toEqual({ kind: 'granted', existing: false });
    // worker-1 is at its cap of one; worker-2 is not.
    expect(await take(b, 'worker-1')).toEqual({ kind: 'waiting' });
    expect(await take(b, 'worker-2')).toEqual({ kind: 'granted', existing: false });
    expect(await take(a, 'worker-1')).toEqual({ kind: 'granted', existing: true });
    // The workspace is at its cap of two: c, then d, wait in line.
    expect(await take(c, 'worker-3')).toEqual({ kind: 'waiting' });
    expect(await take(d, 'worker-4')).toEqual({ kind: 'waiting' });

    // a's turn ends: the first waiter to ask has it evicted, and nobody more (one waiter ahead, one on its way out).
    await stack.sql(`UPDATE sessions SET status = 'idle' WHERE id = $1`, [a]);
    expect(await take(d, 'worker-4')).toEqual({ kind: 'waiting', evict: { sessionId: a, workerId: 'worker-1' } });
    expect(await take(c, 'worker-3')).toEqual({ kind: 'waiting' });
    await ledger.remove(a);
    // The slot is free, but d may not pass c.
    expect(await take(d, 'worker-4')).toEqual({ kind: 'waiting' });
    expect(await take(c, 'worker-3')).toEqual({ kind: 'granted', existing: false });

    // A waiter whose worker stopped renewing it holds nobody up.
    const e = await stack.session();
    await stack.sql(`UPDATE sessions SET status = 'processing' WHERE id = $1`, [e]);
    expect(await take(e, 'worker-5')).toEqual({ kind: 'waiting' });
    await stack.sql(`UPDATE sandbox_waiters SET seen_at = now() - interval '1 hour' WHERE session_id = $1`, [d]);
    await stack.sql(`UPDATE sessions SET status = 'idle' WHERE id = $1`, [b]);
    expect(await take(e, 'worker-5')).toEqual({ kind: 'waiting', evict: { sessionId: b, workerId: 'worker-2' } });
    await ledger.remove(b);
    expect(await take(e, 'worker-5')).toEqual({ kind: 'granted', existing: false });
    expect((await slots()).sort()).toEqual([c, e].sort());
    await stack.sql(`UPDATE sessions SET status = 'idle'`);
  });
});
