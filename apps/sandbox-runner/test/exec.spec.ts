import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually, pidsWithArgument, startTestRunner, type TestRunner } from './runner-harness';

describe('POST /v1/exec', () => {
  let runner: TestRunner;

  beforeEach(async () => {
    // SSH_CLIENT makes a bash that reads startup files source ~/.bashrc even for -c.
    runner = await startTestRunner({ type: 'unrestricted' }, { SSH_CLIENT: '10.0.0.1 22 22', FROM_RUNNER_ENV: 'yes' });
  });
  afterEach(() => runner.close());

  const exec = (body: Record<string, unknown>, signal?: AbortSignal) => runner.call('/v1/exec', body, { signal });

  it('returns stdout, stderr and the exit code, starting in the workspace', async () => {
    const { status, body } = await exec({ command: 'pwd; echo oops >&2; exit 3' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ exit_code: 3, stdout: `${runner.workspace}\n`, stderr: 'oops\n', timed_out: false, truncated: false });
    expect(body.duration_ms).toEqual(expect.any(Number));
  });

  it('keeps the working directory between calls, even when the command fails or exits', async () => {
    await exec({ command: 'mkdir -p a/b && cd a' });
    expect((await exec({ command: 'pwd' })).body.stdout).toBe(`${path.join(runner.workspace, 'a')}\n`);
    await exec({ command: 'cd b; false' });
    await exec({ command: 'cd ..; exit 7' });
    expect((await exec({ command: 'pwd' })).body.stdout).toBe(`${path.join(runner.workspace, 'a')}\n`);
  });

  it('falls back to the workspace when the remembered directory was removed', async () => {
    await exec({ command: 'mkdir gone && cd gone' });
    await exec({ command: 'rmdir ../gone' });
    expect((await exec({ command: 'pwd' })).body.stdout).toBe(`${runner.workspace}\n`);
  });

  it('gives commands a HOME inside the workspace and never reads its ~/.bashrc', async () => {
    await mkdir(path.join(runner.workspace, '.home'), { recursive: true });
    await writeFile(path.join(runner.workspace, '.home', '.bashrc'), 'echo BASHRC_WAS_READ\n');
    const { body } = await exec({ command: 'echo "$HOME"' });
    expect(body.stdout).toBe(`${path.join(runner.workspace, '.home')}\n`);
  });

  it("passes the runner's environment to commands, without the runner's own settings", async () => {
    const { body } = await exec({ command: 'env' });
    expect(body.stdout).toContain('FROM_RUNNER_ENV=yes');
    expect(body.stdout).not.toContain('STRATUS_RUNNER_TOKEN');
  });

  it('kills the whole process group on timeout', async () => {
    const started = Date.now();
    const { body } = await exec({ command: '(sleep 31.01 &); sleep 30', timeout_ms: 300 });
    expect(body).toMatchObject({ timed_out: true, exit_code: 137 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await eventually(async () => (await pidsWithArgument('31.01')).length === 0, 20_000)).toBe(true);
  });

  it('caps stdout and stderr together at max_output_bytes, keeping the beginning and the end of each', async () => {
    const { body } = await exec({ command: 'head -c 3000 /dev/zero | tr "\\0" a; echo -n A; head -c 3000 /dev/zero | tr "\\0" b >&2; echo -n B >&2', max_output_bytes: 4000 });
    expect(body).toMatchObject({ truncated: true, exit_code: 0, stdout_bytes: 3001, stderr_bytes: 3001 });
    expect(body.stdout).toBe(`${'a'.repeat(1000)}\n[output truncated: 3001 bytes, showing the first 1000 and last 1000]\n${'a'.repeat(999)}A`);
    expect(body.stderr).toBe(`${'b'.repeat(1000)}\n[output truncated: 3001 bytes, showing the first 1000 and last 1000]\n${'b'.repeat(999)}B`);
  });

  it('streams 100 MiB of output through a bounded buffer and reports how much there was', async () => {
    const { body } = await exec({ command: 'echo BEGIN; head -c 104857600 /dev/zero | tr "\\0" a; echo; echo END', max_output_bytes: 262_144 });
    expect(body).toMatchObject({ exit_code: 0, truncated: true, stdout_bytes: 6 + 104_857_600 + 1 + 4, stderr_bytes: 0, stderr: '' });
    expect(body.stdout.startsWith('BEGIN\naaa')).toBe(true);
    expect(body.stdout.endsWith('aaa\nEND\n')).toBe(true);
    expect(body.stdout).toContain('\n[output truncated: 104857611 bytes, showing the first 131072 and last 131072]\n');
    expect(Buffer.byteLength(body.stdout)).toBeLessThanOrEqual(262_144 + 100);
  });

  it('returns short output whole, with its byte counts', async () => {
    const { body } = await exec({ command: 'echo héllo; echo err >&2' });
    expect(body).toMatchObject({ stdout: 'héllo\n', stderr: 'err\n', truncated: false, stdout_bytes: 7, stderr_bytes: 4 });
  });

  it('kills the running command when the client aborts the request', async () => {
    const abort = new AbortController();
    const call = exec({ command: 'sleep 30.02; echo never' }, abort.signal);
    expect(await eventually(async () => (await pidsWithArgument('30.02')).length === 1, 20_000)).toBe(true);
    abort.abort();
    await expect(call).rejects.toThrow();
    expect(await eventually(async () => (await pidsWithArgument('30.02')).length === 0, 20_000)).toBe(true);
  });

  it('returns while a background job still runs, and kills it when the runner stops', async () => {
    const started = Date.now();
    const { body } = await exec({ command: 'sleep 30.03 & echo started' });
    expect(body).toMatchObject({ exit_code: 0, stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pidsWithArgument('30.03')).toHaveLength(1);
    await runner.close();
    runner = await startTestRunner();
    expect(await eventually(async () => (await pidsWithArgument('30.03')).length === 0, 20_000)).toBe(true);
  });

  it('rejects an invalid request with a 400 that names the field', async () => {
    const { status, body } = await exec({ command: 'true', timeout_ms: 600_001 });
    expect(status).toBe(400);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('timeout_ms');
  });
});
