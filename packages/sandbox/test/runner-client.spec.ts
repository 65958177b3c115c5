import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { LocalSandboxProvider, RunnerClient, RunnerError, RunnerUnavailableError, resolveRunnerInstall } from '../src';
import { eventually, makeBaseDir, OWNER, pidsWithArgument, recordingLogger, sandboxSpec, startLoopbackServer } from './sandbox-harness';
import { SANDBOX_RUNNER_ENTRY } from '@stratus/testing';

describe('RunnerClient over a Unix socket', () => {
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  let provider: LocalSandboxProvider;
  let client: RunnerClient;

  beforeAll(async () => {
    base = await makeBaseDir();
    provider = new LocalSandboxProvider({ logger: recordingLogger(), baseDir: base.baseDir, owner: OWNER, runnerEntry: SANDBOX_RUNNER_ENTRY, isolation: 'none' });
    client = RunnerClient.forHandle(await provider.provision(sandboxSpec({ networking: { type: 'allowed_hosts', allowed_hosts: ['127.0.0.1'] } })));
  });
  afterAll(async () => {
    await client.close();
    await provider.shutdown();
    await base.remove();
  });

  it('writes, reads and edits files', async () => {
    expect(await client.write({ path: 'src/app.ts', content: 'let x = 1;\nlet y = 2;\n' })).toEqual({ path: 'src/app.ts', bytes_written: 22 });
    expect(await client.edit({ path: 'src/app.ts', old_string: 'y = 2', new_string: 'y = 3' })).toEqual({ path: 'src/app.ts', replacements: 1 });
    expect(await client.read({ path: 'src/app.ts', offset: 2 })).toEqual({
      path: 'src/app.ts',
      content: 'let y = 3;',
      start_line: 2,
      num_lines: 1,
      total_lines: 2,
      cut_lines: 0,
    });
  });

  it('globs and greps', async () => {
    await client.write({ path: 'lib/util.ts', content: 'export const answer = 42;\n' });
    expect((await client.glob({ pattern: '**/*.ts' })).paths).toEqual(expect.arrayContaining(['lib/util.ts']));
    expect(await client.grep({ pattern: 'answer = \\d+' })).toEqual({ matches: [{ file: 'lib/util.ts', line: 1, text: 'export const answer = 42;' }], truncated: false });
  });

  it('runs commands and fetches through the policy', async () => {
    expect(await client.exec({ command: 'echo $((6 * 7))' })).toMatchObject({ exit_code: 0, stdout: '42\n', timed_out: false });
    const server = await startLoopbackServer();
    try {
      expect(await client.fetch({ url: server.url })).toMatchObject({ status: 200, body: 'reached' });
      const refused = await client.fetch({ url: server.url.replace('127.0.0.1', 'localhost') }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RunnerError);
      expect(refused).toMatchObject({ status: 403, type: 'permission_error', message: expect.stringContaining('allowed hosts') });
    } finally {
      await server.close();
    }
  });

  it('throws RunnerError with the status, type and message of a refusal', async () => {
    const error = await client.read({ path: '../../etc/passwd' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error).toMatchObject({ status: 403, type: 'permission_error', message: 'path outside the workspace: ../../etc/passwd' });
  });

  it('rejects with the abort reason and stops the remote command when the signal aborts', async () => {
    const abort = new AbortController();
    const call = client.exec({ command: 'sleep 30.91' }, { signal: abort.signal });
    expect(await eventually(async () => (await pidsWithArgument('30.91')).length === 1, 20_000)).toBe(true);
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(await eventually(async () => (await pidsWithArgument('30.91')).length === 0, 20_000)).toBe(true);
  });

  it('throws RunnerUnavailableError when nothing listens on the socket', async () => {
    const nowhere = new RunnerClient({ socketPath: path.join(base.baseDir, 'missing.sock') }, 'token');
    await expect(nowhere.health()).rejects.toBeInstanceOf(RunnerUnavailableError);
    await nowhere.close();
  });
});

describe('RunnerClient over TCP (the Kubernetes way: STRATUS_RUNNER_PORT and a base URL)', () => {
  let runner: ChildProcess;
  let baseUrl: string;
  let base: Awaited<ReturnType<typeof makeBaseDir>>;
  const token = 'tcp-token-0123456789abcdef';

  beforeAll(async () => {
    base = await makeBaseDir();
    const workspace = path.join(base.baseDir, 'workspace');
    await mkdir(workspace);
    runner = spawn(process.execPath, [resolveRunnerInstall(SANDBOX_RUNNER_ENTRY).entry], {
      env: { PATH: process.env.PATH, STRATUS_RUNNER_TOKEN: token, STRATUS_RUNNER_PORT: '0', STRATUS_RUNNER_HOST: '127.0.0.1', STRATUS_WORKSPACE_DIR: workspace },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: runner.stdout! }), 'line')) as [string];
    expect(line).toMatch(/^stratus-sandbox-runner listening on 127\.0\.0\.1:\d+$/);
    baseUrl = `http://${line.split(' ').at(-1)}/`;
  });
  afterAll(async () => {
    runner.kill('SIGTERM');
    const [code] = (await once(runner, 'exit')) as [number | null];
    expect(code).toBe(0); // clean exit on SIGTERM
    await base.remove();
  });

  it('talks to a runner at a base URL', async () => {
    const client = new RunnerClient({ baseUrl }, token);
    const stranger = new RunnerClient({ baseUrl }, 'wrong-token');
    try {
      expect(await client.health()).toEqual({ ok: true });
      expect((await client.exec({ command: 'pwd' })).stdout).toBe(`${path.join(base.baseDir, 'workspace')}\n`);
      await expect(stranger.health()).rejects.toMatchObject({ status: 401, type: 'authentication_error' });
    } finally {
      await client.close();
      await stranger.close();
    }
  });
});

describe('runner process lifecycle', () => {
  it('exits when its stdin closes, so a plain-process sandbox does not outlive its worker', async () => {
    const base = await makeBaseDir();
    try {
      const socketPath = path.join(base.baseDir, 'runner.sock');
      const runner = spawn(process.execPath, [resolveRunnerInstall(SANDBOX_RUNNER_ENTRY).entry], {
        env: {
          PATH: process.env.PATH,
          STRATUS_RUNNER_TOKEN: 'lifeline-token-0123456789',
          STRATUS_RUNNER_SOCKET: socketPath,
          STRATUS_WORKSPACE_DIR: base.baseDir,
          STRATUS_RUNNER_EXIT_ON_STDIN_CLOSE: '1',
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      await once(createInterface({ input: runner.stdout }), 'line');
      expect(existsSync(socketPath)).toBe(true);
      runner.stdin.end();
      const [code] = (await once(runner, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      await base.remove();
    }
  });

  it('refuses to start with a clear message naming a bad variable', async () => {
    const runner = spawn(process.execPath, [resolveRunnerInstall(SANDBOX_RUNNER_ENTRY).entry], {
      env: { PATH: process.env.PATH, STRATUS_RUNNER_TOKEN: 'lifeline-token-0123456789', STRATUS_WORKSPACE_DIR: '/tmp' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    runner.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(runner, 'close')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('STRATUS_RUNNER_SOCKET: set exactly one of STRATUS_RUNNER_SOCKET and STRATUS_RUNNER_PORT');
  });
});
