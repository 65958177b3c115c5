import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { CommandGroups, superviseCommand, type CommandChild } from './command-process';

/** Pids of host processes whose command line has `argument` (a unique sleep duration marks each test's processes). */
async function pidsWithArgument(argument: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(argument)) pids.push(Number(entry));
  }
  return pids;
}

const bash = (command: string) => spawn('bash', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }) as CommandChild;

/** superviseCommand and CommandGroups on real bash processes: the part the runner and the worker's sandbox entry share. */
describe('superviseCommand', () => {
  const groups = new CommandGroups();
  afterAll(() => groups.killAll());

  it('returns the output and exit code, with the memory limit named for a SIGKILL it did not send', async () => {
    expect(await superviseCommand(bash('echo out; echo err >&2; exit 3'), { maxOutputBytes: 1000, timeoutMs: 10_000, groups })).toEqual({
      exit_code: 3,
      stdout: 'out\n',
      stderr: 'err\n',
      timed_out: false,
      truncated: false,
      stdout_bytes: 4,
      stderr_bytes: 4,
    });
    const killed = await superviseCommand(bash('kill -9 $$'), { maxOutputBytes: 1000, timeoutMs: 10_000, groups, memoryLimit: '256Mi' });
    expect(killed.exit_code).toBe(137);
    expect(killed.stderr).toContain("exceeded the sandbox's memory limit (256Mi)");
  });

  it('kills the whole process group on timeout and on abort', async () => {
    const timedOut = await superviseCommand(bash('(sleep 32.01 &); sleep 32.02'), { maxOutputBytes: 1000, timeoutMs: 300, groups });
    expect(timedOut).toMatchObject({ timed_out: true, exit_code: 137, stderr: '' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const aborted = await superviseCommand(bash('(sleep 32.03 &); sleep 32.04'), { maxOutputBytes: 1000, timeoutMs: 60_000, signal: abort.signal, groups });
    expect(aborted).toMatchObject({ timed_out: false, exit_code: 137 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const marker of ['32.01', '32.02', '32.03', '32.04']) expect(await pidsWithArgument(marker)).toEqual([]);
  });

  it('returns while a background job holds the pipes, and CommandGroups kills it later', async () => {
    const result = await superviseCommand(bash('sleep 32.05 & echo started'), { maxOutputBytes: 1000, timeoutMs: 10_000, groups });
    expect(result).toMatchObject({ exit_code: 0, stdout: 'started\n' });
    expect(await pidsWithArgument('32.05')).toHaveLength(1);
    await groups.killAndWait();
    expect(await pidsWithArgument('32.05')).toEqual([]);
  });
});
