import { access } from 'node:fs/promises';
import path from 'node:path';
import { SANDBOX_LIFECYCLE_PRODUCER } from '@stratus/nest-common';
import { sandboxReapJobId, type SandboxLifecycleProducer } from '@stratus/queues';
import type { SandboxProvider } from '@stratus/sandbox';
import { SANDBOX_PROVIDER, SandboxLifecycleService } from '@stratus/worker';
import { eventually, pidsWithArgument } from '@stratus/testing';
import { MODEL, ofType, startStack, textOf, type Stack } from './harness';

// Sandboxes start lazily, when a turn's model first calls a tool that runs in one, and the
// sandbox-lifecycle queue stops them: orphans are reconciled away; warm pools are filled at start.
// Whether a session has a sandbox is asked of the provider itself, never inferred from timing.
// (Idle reaping and re-provisioning are in turns.e2e.spec.ts, beside the turns that use the sandbox;
// the capacity caps in sandbox-capacity.e2e.spec.ts.)

let stack: Stack;
let provider: SandboxProvider;
beforeAll(async () => {
  stack = await startStack({
    STRATUS_SANDBOX_RECONCILE_INTERVAL_MS: '300',
    STRATUS_SANDBOX_WARM_POOL: JSON.stringify({ env_warm: 1 }),
    // A reply that stalls mid-stream stays open until the test cancels the turn.
    STRATUS_MODEL_IDLE_TIMEOUT_MS: '60000',
  });
  provider = stack.app.get<SandboxProvider>(SANDBOX_PROVIDER);
});
afterAll(async () => {
  await stack?.close();
});

const runnerOf = (sessionId: string) => path.join(stack.env.STRATUS_SANDBOX_DIR, sessionId, 'workspace');
const running = (sessionId: string) => eventually(async () => ((await pidsWithArgument(runnerOf(sessionId))).length > 0 ? true : undefined), 10_000, `the sandbox of ${sessionId} to run`);
const stopped = (sessionId: string) => eventually(async () => ((await pidsWithArgument(runnerOf(sessionId))).length === 0 ? true : undefined), 10_000, `the sandbox of ${sessionId} to stop`);
const recordsOf = async (sessionId: string) => (await provider.list()).filter((record) => record.sessionId === sessionId);

/** Runs one turn whose model calls Bash once; returns the session's events once it is idle again. */
async function toolTurn(sessionId: string, command: string, turns = 1): Promise<any[]> {
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command } }] }, { kind: 'text', text: 'done' });
  await stack.send(sessionId, { type: 'user.message', content: command });
  return stack.idle(sessionId, turns);
}

describe('lazy sandboxes', () => {
  it('starts nothing when a session is created, nor for turns that only chat, though the agent has every built-in tool', async () => {
    const sessionId = await stack.session();
    stack.model.script({ kind: 'text', text: 'hello' }, { kind: 'text', text: 'hello again' });
    await stack.send(sessionId, { type: 'user.message', content: 'hi' });
    await stack.idle(sessionId);
    await stack.send(sessionId, { type: 'user.message', content: 'hi again' });
    const events = await stack.idle(sessionId, 2);
    expect(ofType(events, 'agent.message')).toHaveLength(2);

    expect(await provider.get(sessionId)).toBeUndefined();
    expect(await recordsOf(sessionId)).toEqual([]);
    expect(await stack.sql('SELECT session_id FROM sandbox_slots WHERE session_id = $1', [sessionId])).toEqual([]);
    // Nothing to reap either: no sandbox, no idle timer.
    const lifecycle = stack.app.get<SandboxLifecycleProducer>(SANDBOX_LIFECYCLE_PRODUCER).queue;
    expect(await lifecycle.getJob(sandboxReapJobId(sessionId))).toBeUndefined();
  });

  it('starts the sandbox at the first tool call and reuses it for the next one', async () => {
    const sessionId = await stack.session();
    await toolTurn(sessionId, 'echo one > one.txt');
    const first = await provider.get(sessionId);
    expect(first).toBeDefined();
    expect(await recordsOf(sessionId)).toEqual([expect.objectContaining({ sessionId, state: 'running' })]);

    const events = await toolTurn(sessionId, 'cat one.txt', 2);
    expect(textOf(ofType(events, 'agent.tool_result')[1])).toBe('one');
    const second = await provider.get(sessionId);
    expect(second?.token).toBe(first!.token);
    expect(second?.startedAt).toEqual(first!.startedAt);
    expect(await recordsOf(sessionId)).toHaveLength(1);
  });

  it('starts the sandbox as soon as the name of a tool call streams, while the rest of the reply is still to come', async () => {
    const sessionId = await stack.session();
    // The role chunk and the chunk that names the call, then silence: the arguments never come.
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'true' } }], stallAfterChunks: 2 });
    await stack.send(sessionId, { type: 'user.message', content: 'go' });
    await eventually(async () => ((await provider.get(sessionId)) ? true : undefined), 15_000, 'the sandbox to start during the stream');
    // The reply is still unfinished: its tool use is not in the log.
    expect(ofType(await stack.events(sessionId), 'agent.tool_use')).toEqual([]);
    expect((await stack.request('POST', `/sessions/${sessionId}/cancel`)).status).toBe(202);
    const events = await stack.idle(sessionId);
    expect(ofType(events, 'session.error')).toEqual([]);
  });

  it('starts nothing for a tool call that does not run in the sandbox (a custom tool)', async () => {
    const sessionId = await stack.session({ agent: { tools: [{ type: 'agent_toolset_20260401' }, { type: 'custom', name: 'lookup', description: 'Looks up', input_schema: { type: 'object' } }] } });
    stack.model.script({ kind: 'tool_calls', calls: [{ name: 'lookup', arguments: {} }] });
    await stack.send(sessionId, { type: 'user.message', content: 'look it up' });
    await stack.until(sessionId, 'session.status_idle');
    expect(await provider.get(sessionId)).toBeUndefined();
    expect(await recordsOf(sessionId)).toEqual([]);
  });
});

describe('sandbox lifecycle', () => {
  it('stops the sandbox when the session is deleted', async () => {
    const sessionId = await stack.session();
    await toolTurn(sessionId, 'true');
    await running(sessionId);
    expect((await stack.request('DELETE', `/sessions/${sessionId}`)).status).toBe(200);
    await stopped(sessionId);
    expect(await recordsOf(sessionId)).toEqual([]);
  });

  it('removes the sandbox of a session deleted while its worker was down (no destroy ever reached it)', async () => {
    const sessionId = await stack.session();
    await toolTurn(sessionId, 'true');
    await running(sessionId);
    // As if deleted by an API whose destroy job and control message were lost with the crashed worker.
    await stack.sql('DELETE FROM sessions WHERE id = $1', [sessionId]);
    await stopped(sessionId);
    await expect(access(path.join(stack.env.STRATUS_SANDBOX_DIR, sessionId))).rejects.toThrow();
  });

  it('fills the warm pool of each configured environment at start', async () => {
    // The environment's id is the one configured; the worker started before it existed, so it starts again.
    const created = await stack.stratus.environments.create({ name: 'warm' });
    await stack.sql('UPDATE environments SET id = $1 WHERE id = $2', ['env_warm', created.id]);
    await stack.app.get(SandboxLifecycleService).onApplicationBootstrap();
    const warm = await eventually(async () => (await provider.list()).find((record) => record.warm && record.environmentId === 'env_warm' && record.state === 'running'), 10_000, 'a warm sandbox');
    expect(warm.sessionId).toBeUndefined();

    // The first tool call of a session of that environment claims it instead of starting one.
    const agent = await stack.request('POST', '/agents', { name: 'agent', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await stack.request('POST', '/sessions', { agent: agent.body.id, environment_id: 'env_warm' });
    expect(await provider.get(session.body.id)).toBeUndefined();
    await toolTurn(session.body.id, 'true');
    expect(await provider.get(session.body.id)).toMatchObject({ warm: true });
    expect((await recordsOf(session.body.id)).map((record) => record.id)).toEqual([warm.id]);
  });
});
