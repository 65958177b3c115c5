import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, pidsWithArgument } from '@stratus/testing';
import { startStack, type Stack } from './harness';

// Two deployments (each its own database) on one host, both with the default local sandbox directory
// under the same temporary directory, their reconcilers running: neither touches the other's workspaces.

const RECONCILE_EVERY_MS = '200';
const stacks: Stack[] = [];
/** The host's temporary directory, which both deployments' default sandbox directories are under. */
let parent: string;

beforeAll(async () => {
  parent = await realpath(tmpdir());
  for (let i = 0; i < 2; i++) {
    stacks.push(await startStack({ STRATUS_SANDBOX_DIR: '', STRATUS_SANDBOX_RECONCILE_INTERVAL_MS: RECONCILE_EVERY_MS }));
  }
});
afterAll(async () => {
  const dirs = await Promise.all(stacks.map((stack) => sandboxDirOf(stack).catch(() => undefined)));
  for (const stack of stacks) await stack.close();
  for (const dir of dirs) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function sandboxDirOf(stack: Stack): Promise<string> {
  const [row] = await stack.sql<{ id: string }>('SELECT id FROM deployment');
  return path.join(parent, 'stratus-sandboxes', row!.id);
}

/** A session whose first turn ran a tool: it has a sandbox (a session starts none by itself). */
async function sessionWithSandbox(stack: Stack): Promise<string> {
  const sessionId = await stack.session();
  stack.model.script({ kind: 'tool_calls', calls: [{ name: 'Bash', arguments: { command: 'true' } }] }, { kind: 'text', text: 'done' });
  await stack.send(sessionId, { type: 'user.message', content: 'start the sandbox' });
  await stack.idle(sessionId);
  return sessionId;
}

const runningIn = (workspace: string) =>
  eventually(async () => ((await pidsWithArgument(workspace)).length > 0 ? true : undefined), 15_000, `a runner in ${workspace}`);

describe('two deployments on one host', () => {
  it('keep their sandboxes in directories of their own and never remove each other\'s, even as their reconcilers run', async () => {
    const [a, b] = stacks as [Stack, Stack];
    const live: { stack: Stack; workspace: string; sessionId: string }[] = [];
    for (const stack of [a, b]) {
      const sessionId = await sessionWithSandbox(stack);
      const workspace = path.join(await sandboxDirOf(stack), sessionId, 'workspace');
      await runningIn(workspace);
      await writeFile(path.join(workspace, 'work.txt'), sessionId);
      live.push({ stack, workspace, sessionId });
    }
    const [dirA, dirB] = [await sandboxDirOf(a), await sandboxDirOf(b)];
    expect(dirA).not.toBe(dirB);
    const markerOf = async (dir: string, sessionId: string) => JSON.parse(await readFile(path.join(dir, sessionId, 'sandbox.json'), 'utf8'));
    expect(await markerOf(dirA, live[0]!.sessionId)).toMatchObject({ owner: path.basename(dirA) });
    expect(await markerOf(dirB, live[1]!.sessionId)).toMatchObject({ owner: path.basename(dirB) });
    // What neither deployment made: a session-like directory without a marker in A's directory.
    const stray = path.join(dirA, 'sess_00000000000000000000000000000000');
    await mkdir(path.join(stray, 'workspace'), { recursive: true });

    // Each deployment orphans a sandbox of its own; its reconciler removing that one proves it ran
    // (after the other deployment's workspace existed).
    for (const stack of [a, b]) {
      const orphan = await sessionWithSandbox(stack);
      const orphanDir = path.join(await sandboxDirOf(stack), orphan);
      await runningIn(path.join(orphanDir, 'workspace'));
      await stack.sql('DELETE FROM sessions WHERE id = $1', [orphan]);
      await eventually(async () => (existsSync(orphanDir) ? undefined : true), 15_000, `the reconciler of a deployment to remove ${orphanDir}`);
    }

    for (const { stack, workspace, sessionId } of live) {
      expect(await readFile(path.join(workspace, 'work.txt'), 'utf8')).toBe(sessionId);
      expect(await pidsWithArgument(workspace)).not.toEqual([]);
      expect((await stack.stratus.sessions.retrieve(sessionId)).status).toBe('idle');
    }
    expect(existsSync(path.join(stray, 'workspace'))).toBe(true);
    // Four turns that each start a sandbox: a generous bound for a loaded machine, not a measure.
  }, 120_000);
});
