import { access } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxProvider } from '@stratus/sandbox';
import { SANDBOX_PROVIDER, SandboxLifecycleService } from '@stratus/worker';
import { eventually, pidsWithArgument } from '@stratus/testing';
import { startStack, type Stack } from './harness';

// The sandbox-lifecycle queue: sandboxes start with their session and orphans are reconciled away;
// warm pools are filled at start.
// (Idle reaping and re-provisioning are in turns.e2e.spec.ts, beside the turns that use the sandbox.)

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ STRATUS_SANDBOX_RECONCILE_INTERVAL_MS: '300', STRATUS_SANDBOX_WARM_POOL: JSON.stringify({ env_warm: 1 }) });
});
afterAll(async () => {
  await stack?.close();
});

const runnerOf = (sessionId: string) => path.join(stack.env.STRATUS_SANDBOX_DIR, sessionId, 'workspace');
const running = (sessionId: string) => eventually(async () => ((await pidsWithArgument(runnerOf(sessionId))).length > 0 ? true : undefined), 10_000, `the sandbox of ${sessionId} to run`);
const stopped = (sessionId: string) => eventually(async () => ((await pidsWithArgument(runnerOf(sessionId))).length === 0 ? true : undefined), 10_000, `the sandbox of ${sessionId} to stop`);

describe('sandbox lifecycle', () => {
  it('starts the sandbox when the session is created, before any turn, and stops it when the session is deleted', async () => {
    const modelCalls = stack.model.requests.length;
    const sessionId = await stack.session();
    await running(sessionId);
    expect(stack.model.requests.length).toBe(modelCalls);

    expect((await stack.request('DELETE', `/sessions/${sessionId}`)).status).toBe(200);
    await stopped(sessionId);
  });

  it('starts no sandbox for an agent without built-in tools', async () => {
    const sessionId = await stack.session({ agent: { tools: [] } });
    const other = await stack.session();
    // By the time a later session's sandbox runs, the first session's provision job has long been handled.
    await running(other);
    expect(await pidsWithArgument(runnerOf(sessionId))).toEqual([]);
  });

  it('removes the sandbox of a session deleted while its worker was down (no destroy ever reached it)', async () => {
    const sessionId = await stack.session();
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
    const provider = stack.app.get<SandboxProvider>(SANDBOX_PROVIDER);
    const warm = await eventually(async () => (await provider.list()).find((record) => record.warm && record.environmentId === 'env_warm' && record.state === 'running'), 10_000, 'a warm sandbox');
    expect(warm.sessionId).toBeUndefined();
  });
});
