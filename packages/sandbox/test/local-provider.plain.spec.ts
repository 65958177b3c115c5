import { existsSync } from 'node:fs';
import { realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalSandboxProvider, RunnerClient, RunnerStartError, resolveRunnerInstall, type SandboxLogger } from '../src';
import { eventually, makeBaseDir, OWNER, pidsWithArgument, recordingLogger, sandboxSpec } from './sandbox-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

/** The local provider without bubblewrap (machines that lack it), and how it reports a runner that fails to start. */
describe('LocalSandboxProvider without bubblewrap', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let provider: LocalSandboxProvider;
  const warnings: Array<{ details: Record<string, unknown>; message: string }> = [];

  beforeAll(async () => {
    base = await makeBaseDir();
    const logger: SandboxLogger = { warn: (details, message) => warnings.push({ details, message }) };
    provider = new LocalSandboxProvider({ baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none', logger });
  });
  afterAll(async () => {
    await provider.shutdown();
    await base.remove();
  });

  it('runs the runner as a plain process with the same API', async () => {
    const spec = sandboxSpec({ environmentVariables: { GREETING: 'hello' } });
    process.env.DATABASE_URL = 'postgresql://secret@db/stratus';
    process.env.OPENAI_API_KEY = 'sk-secret';
    const handle = await provider.provision(spec).finally(() => {
      delete process.env.DATABASE_URL;
      delete process.env.OPENAI_API_KEY;
    });
    const client = RunnerClient.forHandle(handle);
    try {
      expect(provider.isolation).toBe('none');
      const workspace = path.join(base.baseDir, spec.sessionId, 'workspace');
      const { stdout } = await client.exec({ command: 'pwd; env' });
      expect(stdout.split('\n')[0]).toBe(workspace);
      expect(stdout).toContain('GREETING=hello');
      expect(stdout).toContain(`TMPDIR=${path.join(base.baseDir, spec.sessionId, 'tmp')}`);
      expect(stdout).not.toContain('DATABASE_URL');
      expect(stdout).not.toContain('OPENAI_API_KEY');
    } finally {
      await client.close();
    }
  });

  it('destroy kills commands left running in the background and removes the directory', async () => {
    const spec = sandboxSpec();
    const client = RunnerClient.forHandle(await provider.provision(spec));
    await client.exec({ command: 'sleep 30.81 > /dev/null 2>&1 &' });
    await client.close();
    expect(await pidsWithArgument('30.81')).toHaveLength(1);
    await provider.destroy(spec.sessionId);
    expect(await eventually(async () => (await pidsWithArgument('30.81')).length === 0, 10_000)).toBe(true);
    expect(existsSync(path.join(base.baseDir, spec.sessionId))).toBe(false);
  });

  it('forgets a runner that died so the next provision starts a new one', async () => {
    const spec = sandboxSpec();
    const first = await provider.provision(spec);
    const client = RunnerClient.forHandle(first);
    // Without bubblewrap the command's parent is the runner itself.
    await client.exec({ command: 'kill -KILL $PPID' }).catch(() => undefined);
    await client.close();
    expect(await eventually(async () => (await provider.get(spec.sessionId)) === undefined, 10_000)).toBe(true);
    expect(warnings).toContainEqual({ details: expect.objectContaining({ sessionId: spec.sessionId }), message: 'sandbox runner exited unexpectedly' });
    const second = await provider.provision(spec);
    expect(second.token).not.toBe(first.token);
  });

  it('rejects a session id that is not a plain directory name', async () => {
    await expect(provider.provision(sandboxSpec({ sessionId: '../escape' }))).rejects.toThrow('invalid session id');
  });

  describe('a runner that fails to start', () => {
    const failing = async (script: string, readyTimeoutMs = 5000) => {
      const written = path.join(base.baseDir, `runner-${Date.now()}.js`);
      await writeFile(written, script);
      // The provider runs the entry's real path, as it runs a configured runner.
      const entry = await realpath(written);
      return { entry, provider: new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, isolation: 'none', readyTimeoutMs, runnerEntry: entry }) };
    };

    it('is reported with its exit code and stderr', async () => {
      const { provider: broken } = await failing('console.error("STRATUS_RUNNER_TOKEN: boom"); process.exit(3);');
      const attempt = broken.provision(sandboxSpec());
      await expect(attempt).rejects.toBeInstanceOf(RunnerStartError);
      await expect(attempt).rejects.toThrow(/exited before it was ready \(exit code 3\): STRATUS_RUNNER_TOKEN: boom/);
    });

    it('is killed when it never prints the ready line', async () => {
      // Long enough for a loaded machine to start node and print, short enough for the test.
      const stuck = await failing('console.error("warming up"); setTimeout(() => {}, 30_000);', 5000);
      // The stderr in the error proves the runner ran (watching for its pid raced the 5 s kill on a
      // loaded machine); it would live 30 s on its own, so no pid left afterwards means it was killed.
      await expect(stuck.provider.provision(sandboxSpec())).rejects.toThrow(/not ready after 5000 ms: warming up/);
      expect(await pidsWithArgument(stuck.entry)).toEqual([]);
    });
  });
});

describe('LocalSandboxProvider isolation choice', () => {
  const originalPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = originalPath;
  });

  it("falls back to plain processes with one warning when 'auto' finds no bwrap", async () => {
    process.env.PATH = '/nonexistent';
    const warnings: string[] = [];
    const logger: SandboxLogger = { warn: (_details, message) => warnings.push(message) };
    const base = await makeBaseDir();
    const provider = new LocalSandboxProvider({ baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, logger });
    process.env.PATH = originalPath;
    try {
      expect(provider.isolation).toBe('none');
      await provider.provision(sandboxSpec());
      await provider.provision(sandboxSpec());
      expect(warnings).toEqual([expect.stringContaining('bwrap not found')]);
    } finally {
      await provider.shutdown();
      await base.remove();
    }
  });

  it("refuses to be created with isolation 'bwrap' when bwrap is missing", () => {
    process.env.PATH = '/nonexistent';
    expect(() => new LocalSandboxProvider({ logger: recordingLogger(), baseDir: '/unused', owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'bwrap' })).toThrow('bwrap is not on PATH');
  });

  it('resolves the configured runner entry to the code a sandbox must read: the runner and what it depends on', () => {
    const install = resolveRunnerInstall(SANDBOX_RUNNER_ENTRY);
    expect(install.entry).toMatch(/sandbox-runner\/dist\/main\.js$/);
    expect(install.codePaths).toEqual(expect.arrayContaining([expect.stringMatching(/apps\/sandbox-runner$/), expect.stringMatching(/packages\/sandbox-protocol$/)]));
  });

  it('names the setting when the configured runner entry is missing', () => {
    expect(() => resolveRunnerInstall('/nonexistent/dist/main.js')).toThrow(/STRATUS_SANDBOX_RUNNER_ENTRY/);
  });
});
