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
    expect(await eventually(async () => (await pidsWithArgument('31.01')).length === 0, 1000)).toBe(true);
  });

  it('caps stdout and stderr together at max_output_bytes', async () => {
    const { body } = await exec({ command: 'head -c 3000 /dev/zero | tr "\\0" a; sleep 0.1; head -c 3000 /dev/zero | tr "\\0" b >&2', max_output_bytes: 4000 });
    expect(body.truncated).toBe(true);
    expect(body.stdout).toBe('a'.repeat(3000));
    expect(body.stderr).toBe('b'.repeat(1000));
    expect(body.exit_code).toBe(0);
  });

  it('kills the running command within a second when the client aborts the request', async () => {
    const abort = new AbortController();
    const call = exec({ command: 'sleep 30.02; echo never' }, abort.signal);
    expect(await eventually(async () => (await pidsWithArgument('30.02')).length === 1, 5000)).toBe(true);
    abort.abort();
    await expect(call).rejects.toThrow();
    expect(await eventually(async () => (await pidsWithArgument('30.02')).length === 0, 1000)).toBe(true);
  });

  it('returns while a background job still runs, and kills it when the runner stops', async () => {
    const started = Date.now();
    const { body } = await exec({ command: 'sleep 30.03 & echo started' });
    expect(body).toMatchObject({ exit_code: 0, stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pidsWithArgument('30.03')).toHaveLength(1);
    await runner.close();
    runner = await startTestRunner();
    expect(await eventually(async () => (await pidsWithArgument('30.03')).length === 0, 1000)).toBe(true);
  });

  it('rejects an invalid request with a 400 that names the field', async () => {
    const { status, body } = await exec({ command: 'true', timeout_ms: 600_001 });
    expect(status).toBe(400);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('timeout_ms');
  });
});
