import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';
import { LocalSandboxProvider, RunnerClient } from '../src';
import { makeBaseDir, mountsBelow, OWNER, recordingLogger, sandboxSpec } from './sandbox-harness';

const MiB = 2 ** 20;
const DISK_LIMIT = 64 * MiB;

/**
 * The workspace disk limit holds for the workspace as a whole (a volume of that size per sandbox),
 * not only per file: real bubblewrap, a root worker, real writes from Bash.
 */
describe('local sandbox workspace disk limit', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let provider: LocalSandboxProvider;
  const logger = recordingLogger();
  const clients: RunnerClient[] = [];

  beforeAll(async () => {
    base = await makeBaseDir();
    provider = new LocalSandboxProvider({ logger, baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'bwrap', diskLimitBytes: DISK_LIMIT });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await provider.shutdown();
    await base.remove();
  });

  it('fails writes past the limit across many files with ENOSPC; the next command works', async () => {
    const spec = sandboxSpec();
    const client = RunnerClient.forHandle(await provider.provision(spec));
    clients.push(client);
    expect(logger.warnings.filter((warning) => warning.includes('workspace volumes'))).toEqual([]);
    // Five files of 20 MiB: each is under RLIMIT_FSIZE (the limit), together they are past it.
    const fill = await client.exec({ command: 'for i in 1 2 3 4 5; do head -c 20971520 /dev/zero > /workspace/f$i || exit 1; done', timeout_ms: 60_000 });
    expect(fill.exit_code).not.toBe(0);
    expect(fill.stderr).toContain('No space left on device');
    const used = await client.exec({ command: 'cat /workspace/f* | wc -c', timeout_ms: 20_000 });
    expect(Number(used.stdout)).toBeLessThanOrEqual(DISK_LIMIT);
    expect(Number(used.stdout)).toBeGreaterThan(40 * MiB);
    // The full workspace does not stop the session: the next command runs, and freeing space frees it.
    expect(await client.exec({ command: 'echo alive', timeout_ms: 20_000 })).toMatchObject({ exit_code: 0, stdout: 'alive\n' });
    const after = await client.exec({ command: 'rm /workspace/f*; head -c 1048576 /dev/zero > /workspace/after && wc -c < /workspace/after && ls /workspace', timeout_ms: 20_000 });
    expect(after).toMatchObject({ exit_code: 0, stdout: `${MiB}\nafter\n` });
    // On the host the workspace is a mount of an image of exactly the limit.
    const sandboxDir = path.join(base.baseDir, spec.sessionId);
    expect(await mountsBelow(sandboxDir)).toEqual([path.join(sandboxDir, 'workspace')]);
    expect((await stat(path.join(sandboxDir, 'workspace.img'))).size).toBe(DISK_LIMIT);

    await provider.destroy(spec.sessionId);
    expect(await mountsBelow(sandboxDir)).toEqual([]);
    expect(existsSync(sandboxDir)).toBe(false);
  });

  it('unmounts the volume when the reconciler removes a sandbox whose session is gone', async () => {
    const spec = sandboxSpec();
    const sandboxDir = path.join(base.baseDir, spec.sessionId);
    const client = RunnerClient.forHandle(await provider.provision(spec));
    clients.push(client);
    expect((await client.exec({ command: 'echo kept > /workspace/note', timeout_ms: 20_000 })).exit_code).toBe(0);
    expect(await mountsBelow(sandboxDir)).toEqual([path.join(sandboxDir, 'workspace')]);

    const report = await provider.reconcile({ liveSessions: async () => new Set() });
    expect(report.destroyed.map((entry) => entry.sessionId)).toContain(spec.sessionId);
    expect(await mountsBelow(sandboxDir)).toEqual([]);
    expect(existsSync(sandboxDir)).toBe(false);
  });
});
