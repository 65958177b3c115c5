import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalSandboxProvider, RunnerClient } from '../src';
import { eventually, makeBaseDir, OWNER, recordingLogger, sandboxSpec } from './sandbox-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

/** The local provider's warm pool and reconciliation (plain processes: the same code paths as under bubblewrap). */
describe('LocalSandboxProvider lifecycle', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  beforeEach(async () => {
    base = await makeBaseDir();
  });
  afterEach(async () => {
    await base.remove();
  });

  it('hands out a pre-started runner of the same template and starts a replacement', async () => {
    const provider = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none', warmPool: { sizes: { env_pool: 1 } } });
    try {
      const { sessionId: _, ...template } = sandboxSpec({ environmentId: 'env_pool', environmentVariables: { POOLED: 'yes' } });
      provider.prewarm(template);
      expect(await eventually(async () => provider.warmSandboxes('env_pool') === 1, 20_000)).toBe(true);
      const spec = sandboxSpec({ ...template });
      const handle = await provider.provision(spec);
      // Claimed from the pool (how fast is bench:sandbox's figure, never a test's).
      expect(handle).toMatchObject({ sessionId: spec.sessionId, warm: true });
      const client = RunnerClient.forHandle(handle);
      expect((await client.exec({ command: 'echo $POOLED' })).stdout).toBe('yes\n');
      await client.close();
      expect(await provider.get(spec.sessionId)).toBe(handle);
      expect((await provider.list()).find((r) => r.sessionId === spec.sessionId)).toMatchObject({ state: 'running', warm: false, environmentId: 'env_pool' });
      expect(await eventually(async () => provider.warmSandboxes('env_pool') === 1, 20_000)).toBe(true);
      const other = await provider.provision(sandboxSpec({ ...template, environmentVariables: { POOLED: 'no' } }));
      expect(other.warm).toBeUndefined();
      await provider.destroy(spec.sessionId);
      expect((await provider.list()).map((r) => r.sessionId)).not.toContain(spec.sessionId);
    } finally {
      await provider.shutdown();
    }
    expect(await readdir(base.baseDir)).toEqual([]);
  });

  it('after a worker crash, removes the directories of gone sessions and keeps a live session\'s workspace for reuse', async () => {
    const crashLog = recordingLogger();
    const crashed = new LocalSandboxProvider({ logger: crashLog, baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none' });
    const live = sandboxSpec();
    const gone = sandboxSpec();
    for (const spec of [live, gone]) {
      const client = RunnerClient.forHandle(await crashed.provision(spec));
      await client.write({ path: 'kept.txt', content: spec.sessionId });
      // A crashed worker takes its runners with it (their stdin lifeline closes); here they are killed outright.
      await client.exec({ command: 'kill -KILL $PPID' }).catch(() => undefined);
      await client.close();
      expect(await eventually(async () => (await crashed.get(spec.sessionId)) === undefined, 10_000)).toBe(true);
    }
    expect(crashLog.warnings).toEqual(['sandbox runner exited unexpectedly', 'sandbox runner exited unexpectedly']);

    const restarted = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none' });
    try {
      expect((await restarted.list()).map((r) => [r.sessionId, r.state]).sort()).toEqual([
        [gone.sessionId, 'finished'],
        [live.sessionId, 'finished'],
      ].sort());
      const report = await restarted.reconcile({ liveSessions: async (ids) => new Set(ids.filter((id) => id === live.sessionId)) });
      expect(report.destroyed).toEqual([{ id: gone.sessionId, sessionId: gone.sessionId, reason: 'session_gone' }]);
      expect(existsSync(path.join(base.baseDir, gone.sessionId))).toBe(false);
      const client = RunnerClient.forHandle(await restarted.provision(live));
      expect((await client.read({ path: 'kept.txt' })).content).toBe(live.sessionId);
      await client.close();
    } finally {
      await restarted.shutdown();
    }
  });

  it('never lists, reconciles or destroys what another deployment owns in a shared directory, nor a directory without a marker', async () => {
    const ours = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none' });
    const theirs = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: 'dep0other000', runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none' });
    const mine = sandboxSpec();
    const foreign = sandboxSpec();
    const unmarked = sandboxSpec();
    try {
      for (const [provider, spec] of [[ours, mine], [theirs, foreign]] as const) {
        const client = RunnerClient.forHandle(await provider.provision(spec));
        await client.write({ path: 'kept.txt', content: spec.sessionId });
        await client.close();
      }
      // A directory named like a session with no marker: nothing says this deployment made it.
      await mkdir(path.join(base.baseDir, unmarked.sessionId, 'workspace'), { recursive: true });
      const marker = JSON.parse(await readFile(path.join(base.baseDir, foreign.sessionId, 'sandbox.json'), 'utf8'));
      expect(marker).toMatchObject({ owner: 'dep0other000', sessionId: foreign.sessionId });

      expect((await ours.list()).map((record) => record.sessionId)).toEqual([mine.sessionId]);
      // Not one of these sessions is in this deployment's database.
      const report = await ours.reconcile({ liveSessions: async () => new Set() });
      expect(report.destroyed).toEqual([{ id: mine.sessionId, sessionId: mine.sessionId, reason: 'session_gone' }]);
      await ours.destroy(foreign.sessionId);
      await ours.destroy(unmarked.sessionId);

      expect(existsSync(path.join(base.baseDir, mine.sessionId))).toBe(false);
      expect(existsSync(path.join(base.baseDir, unmarked.sessionId, 'workspace'))).toBe(true);
      const client = RunnerClient.forHandle((await theirs.get(foreign.sessionId))!);
      expect((await client.read({ path: 'kept.txt' })).content).toBe(foreign.sessionId);
      await client.close();
    } finally {
      await ours.shutdown();
      await theirs.shutdown();
    }
  });
});
